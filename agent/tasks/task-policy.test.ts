import { describe, expect, it } from 'vitest';
import { policyRefusal } from './task-policy.js';

describe('policyRefusal', () => {
  it('allows everything by default', () => {
    expect(policyRefusal({}, { kind: 'shell', command: 'rm -rf /tmp/x' })).toBeNull();
  });
  it('refuses every action but cancel when remote execution is off', () => {
    const p = { refuseRemoteExecution: true };
    expect(policyRefusal(p, { kind: 'argv', argv: ['uptime'] })).toMatch(/refuse remote execution/);
    expect(policyRefusal(p, { kind: 'file', url: 'x', sha256: 'x', size: 1, path: '/x', mode: 0o644 })).toMatch(/refuse/);
    expect(policyRefusal(p, { kind: 'cancel' })).toBeNull();
  });
  it('with a list, allows exactly the listed lines and nothing unlistable', () => {
    const p = { allowedCommands: ['uptime', 'systemctl restart nginx'] };
    expect(policyRefusal(p, { kind: 'shell', command: 'uptime' })).toBeNull();
    expect(policyRefusal(p, { kind: 'argv', argv: ['systemctl', 'restart', 'nginx'] })).toBeNull();
    expect(policyRefusal(p, { kind: 'shell', command: 'uptime; id' })).toMatch(/not on this agent/);
    expect(policyRefusal(p, { kind: 'script', script: 'uptime', interpreter: '/bin/sh' })).toMatch(/cannot be listed/);
  });
});
