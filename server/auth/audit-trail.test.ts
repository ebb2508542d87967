import { describe, expect, it } from 'vitest';
import { shouldAudit } from './audit-trail.js';
import type { RouteSpec } from '../http/route.js';

const route = (path: string) => ({ path }) as RouteSpec;

describe('which requests leave an audit record', () => {
  it('keeps changes and refused changes, not reads, floods, unknown paths or accepted metric intake', () => {
    expect(shouldAudit({ method: 'POST', route: route('/api/v1/assets'), status: 201 })).toBe(true);
    expect(shouldAudit({ method: 'DELETE', route: route('/api/v1/assets/:id'), status: 403 })).toBe(true);
    expect(shouldAudit({ method: 'GET', route: route('/api/v1/assets'), status: 200 })).toBe(false);
    expect(shouldAudit({ method: 'POST', route: route('/api/v1/assets'), status: 429 })).toBe(false);
    expect(shouldAudit({ method: 'POST', route: undefined, status: 404 })).toBe(false);
    expect(shouldAudit({ method: 'POST', route: route('/api/v1/write'), status: 204 })).toBe(false);
    expect(shouldAudit({ method: 'POST', route: route('/api/v1/write'), status: 401 })).toBe(true);
  });
});
