import { describe, expect, it } from 'vitest';
import { hostCounts, taskOutcome } from './task-outcome.js';

describe('task outcome', () => {
  it('judges a finished task by its hosts', () => {
    expect(taskOutcome('done', hostCounts({ ok: 3 }))).toBe('ok');
    expect(taskOutcome('done', hostCounts({ ok: 2, failed: 1 }))).toBe('partly_failed');
    expect(taskOutcome('done', hostCounts({ ok: 2, timed_out: 1 }))).toBe('partly_failed');
    expect(taskOutcome('done', hostCounts({ failed: 3 }))).toBe('failed');
    expect(taskOutcome('done', hostCounts({ failed: 1, unreachable: 2 }))).toBe('failed');
    expect(taskOutcome('done', hostCounts({ timed_out: 2 }))).toBe('timed_out');
    expect(taskOutcome('done', hostCounts({ timed_out: 1, refused: 1 }))).toBe('failed');
    expect(taskOutcome('stopped', hostCounts({ failed: 2, cancelled: 5 }))).toBe('failed');
    expect(taskOutcome('stopped', hostCounts({ ok: 1, failed: 2, cancelled: 5 }))).toBe('partly_failed');
  });

  it('says what a task is doing before it ends, and why it never ran', () => {
    expect(taskOutcome('awaiting_approval', hostCounts({ queued: 2 }))).toBe('pending');
    expect(taskOutcome('running', hostCounts({ queued: 2 }))).toBe('pending');
    expect(taskOutcome('running', hostCounts({ queued: 1, sent: 1 }))).toBe('running');
    expect(taskOutcome('running', hostCounts({ queued: 1, ok: 1 }))).toBe('running');
    expect(taskOutcome('cancelled', hostCounts({ ok: 1, cancelled: 1 }))).toBe('cancelled');
    expect(taskOutcome('rejected', hostCounts({ queued: 2 }))).toBe('rejected');
  });

  it('counts every host state, zeros included', () => {
    expect(hostCounts({ ok: 3, failed: 1 })).toEqual({
      queued: 0,
      sent: 0,
      running: 0,
      ok: 3,
      failed: 1,
      timed_out: 0,
      cancelled: 0,
      unreachable: 0,
      refused: 0,
    });
  });
});
