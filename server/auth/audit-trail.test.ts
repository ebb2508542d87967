import { describe, expect, it } from 'vitest';
import { auditKind } from './audit-trail.js';

const route = (path: string) => ({ path });

describe('which requests leave an audit record', () => {
  it('keeps changes and refused changes one by one; not reads, unknown paths or accepted metric intake', () => {
    expect(auditKind({ method: 'POST', route: route('/api/v1/assets'), status: 201 })).toBe('each');
    expect(auditKind({ method: 'DELETE', route: route('/api/v1/assets/:id'), status: 409 })).toBe('each');
    expect(auditKind({ method: 'GET', route: route('/api/v1/assets'), status: 200 })).toBeNull();
    expect(auditKind({ method: 'HEAD', route: route('/api/v1/assets'), status: 200 })).toBeNull();
    expect(auditKind({ method: 'POST', route: undefined, status: 404 })).toBeNull();
    expect(auditKind({ method: 'POST', route: route('/api/v1/write'), status: 204 })).toBeNull();
    expect(auditKind({ method: 'POST', route: route('/api/v1/write'), status: 400 })).toBe('each');
  });

  it('counts refusals (bad credentials, missing scope, rate limits), reads included', () => {
    expect(auditKind({ method: 'POST', route: route('/api/v1/sessions'), status: 429 })).toBe('refusal');
    expect(auditKind({ method: 'POST', route: route('/api/v1/sessions'), status: 401 })).toBe('refusal');
    expect(auditKind({ method: 'GET', route: route('/api/v1/users'), status: 403 })).toBe('refusal');
    expect(auditKind({ method: 'POST', route: route('/api/v1/write'), status: 401 })).toBe('refusal');
  });
});
