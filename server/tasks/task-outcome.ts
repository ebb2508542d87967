/**
 * What a task came to, read from its hosts' results. `state` is the task's lifecycle (it ran to the
 * end, was stopped, cancelled, ...); the outcome says whether the hosts did what was asked, so a
 * task whose every host exited 3 no longer reads as "done" and nothing else.
 */
import type { HostRunState } from './rollout.js';
import type { TaskState } from './task-store.js';

export const TASK_OUTCOMES = ['pending', 'running', 'ok', 'partly_failed', 'failed', 'timed_out', 'cancelled', 'rejected'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

export const HOST_RUN_STATES: readonly HostRunState[] = ['queued', 'sent', 'running', 'ok', 'failed', 'timed_out', 'cancelled', 'unreachable', 'refused'];

export type HostCounts = Record<HostRunState, number>;

/** Every host state with its count, zeros included, so readers need no defaults. */
export function hostCounts(partial: Partial<Record<string, number>>): HostCounts {
  return Object.fromEntries(HOST_RUN_STATES.map((s) => [s, partial[s] ?? 0])) as HostCounts;
}

export function taskOutcome(state: TaskState, c: HostCounts): TaskOutcome {
  if (state === 'awaiting_approval') return 'pending';
  if (state === 'rejected') return 'rejected';
  if (state === 'running') return c.sent + c.running + c.ok + c.failed + c.timed_out + c.refused > 0 ? 'running' : 'pending';
  if (state === 'cancelled') return 'cancelled';
  // done or stopped (failure threshold): judged by the hosts.
  const notOk = c.failed + c.timed_out + c.cancelled + c.unreachable + c.refused + c.queued + c.sent + c.running;
  if (notOk === 0) return 'ok';
  if (c.ok > 0) return 'partly_failed';
  return c.timed_out === notOk ? 'timed_out' : 'failed';
}
