import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG } from './metric-catalog.js';

describe('METRIC_CATALOG', () => {
  it('names every metric in dotted lowercase with a unit-bearing suffix where one applies', () => {
    for (const [name, spec] of Object.entries(METRIC_CATALOG)) {
      expect(name).toMatch(/^[a-z]+\.[a-z0-9_]+$/);
      if (spec.unit === 'percent') expect(name).toMatch(/_pct$/);
      if (spec.unit === 'bytes') expect(name).toMatch(/_bytes$/);
      if (spec.unit.endsWith('/s')) expect(name).toMatch(/_per_s$/);
    }
  });
});
