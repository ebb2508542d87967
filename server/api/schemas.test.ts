import { describe, expect, it } from 'vitest';
import { iso } from './schemas.js';

describe('iso', () => {
  it('writes a Date, an ISO string and epoch milliseconds alike, in UTC with milliseconds; keeps null', () => {
    const at = '2026-01-05T10:20:30.040Z';
    expect(iso(new Date(at))).toBe(at);
    expect(iso('2026-01-05T11:20:30.04+01:00')).toBe(at);
    expect(iso(Date.parse(at))).toBe(at);
    expect(iso(null)).toBeNull();
    expect(iso(undefined)).toBeNull();
  });
});
