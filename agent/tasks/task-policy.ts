/**
 * What this agent agrees to run, set locally by whoever installs it (the server cannot change it):
 * nothing at all (`refuseRemoteExecution`), or only listed commands. With a list, a shell task must
 * be one of the listed lines exactly and an argv task's argv joined by spaces must be; scripts and
 * file pushes are refused, since neither can be checked against a command list.
 */
import type { TaskAction } from '../../protocol/task-order.js';

export interface TaskPolicy {
  refuseRemoteExecution?: boolean;
  allowedCommands?: string[];
}

/** A refusal message, or null when the action may run. */
export function policyRefusal(policy: TaskPolicy, action: TaskAction): string | null {
  if (action.kind === 'cancel') return null;
  if (policy.refuseRemoteExecution) return 'this agent is set to refuse remote execution';
  const allowed = policy.allowedCommands;
  if (!allowed) return null;
  const line = action.kind === 'shell' ? action.command : action.kind === 'argv' ? action.argv.join(' ') : null;
  if (line === null) return `this agent runs only listed commands; a ${action.kind} task cannot be listed`;
  return allowed.includes(line) ? null : "command is not on this agent's list of allowed commands";
}
