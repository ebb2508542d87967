/**
 * Which monitoring plugins this agent agrees to run for the server's templates, set locally by the
 * agent's owner (the server cannot change it). Looking plugins up by name in the plugin folders is
 * not enough on its own: some plugins run whatever their arguments say, so a template naming them
 * is a remote shell. Those are refused unless the owner allow-lists them, and the task policy
 * (`--refuse-remote-exec`, `--allow-command`) holds for plugin items as it does for tasks.
 * Pure: the runner passes in what a name resolved to.
 */
import { basename } from 'node:path';

/**
 * Plugins (of Debian's monitoring-plugins and common add-ons) that run a command, or can be made to,
 * from their arguments, and why. Refused by default.
 */
export const WRAPPER_PLUGINS: ReadonlyMap<string, string> = new Map([
  ['negate', 'runs the command given in its arguments'],
  ['urlize', 'runs the command given in its arguments'],
  ['check_by_ssh', 'runs a command over ssh, and its -o options (ProxyCommand) run local commands'],
  ['check_apt', 'passes -u/-U options to apt-get, whose -o hooks (APT::Update::Pre-Invoke) run commands'],
  ['check_log', 'copies the file named in its arguments over another one, e.g. a shell over a plugin'],
  ['check_multi', 'runs the commands given in its arguments or the file they name'],
]);

/** Programs that run their arguments as code: a plugin name resolving to one of these is a wrapper too. */
const INTERPRETER =
  /^(?:sh|bash|dash|zsh|ksh|mksh|csh|tcsh|fish|busybox|env|sudo|su|doas|xargs|nohup|nice|ionice|timeout|setsid|stdbuf|chroot|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*|lua[0-9.]*|tclsh[0-9.]*|awk|gawk|mawk|nawk)$/;

export interface PluginPolicy {
  /** Plugin names the owner trusts with any arguments (overrides the wrapper list and the task policy). */
  allowedPlugins?: string[];
  refuseRemoteExecution?: boolean;
  /** With a list, a plugin item runs only when `command args…` joined by spaces is on it (as argv tasks). */
  allowedCommands?: string[];
}

/** Stable reasons, reported as the label of the item's `refused` metric. */
export type RefusalReason = 'wrapper_plugin' | 'remote_exec_refused' | 'command_not_allowed';

export interface PluginRefusal {
  reason: RefusalReason;
  message: string;
}

/**
 * Whether a plugin item may run. `resolvedPath` is the real path (symlinks followed) the name led
 * to, so a symlink to a wrapper or to a shell is judged by what it runs.
 */
export function pluginRefusal(policy: PluginPolicy, command: string, args: string[], resolvedPath: string): PluginRefusal | null {
  if (policy.allowedPlugins?.includes(command)) return null;
  if (policy.refuseRemoteExecution) {
    return { reason: 'remote_exec_refused', message: `this agent is set to refuse remote execution; plugin ${command} is not allow-listed (--allow-plugin)` };
  }
  const target = basename(resolvedPath);
  const why =
    WRAPPER_PLUGINS.get(command) ??
    WRAPPER_PLUGINS.get(target) ??
    (INTERPRETER.test(target) ? `resolves to ${resolvedPath}, which runs its arguments` : undefined);
  if (why)
    return { reason: 'wrapper_plugin', message: `plugin ${command} ${why}; refused unless this agent's owner allow-lists it (--allow-plugin ${command})` };
  if (policy.allowedCommands && !policy.allowedCommands.includes([command, ...args].join(' '))) {
    return { reason: 'command_not_allowed', message: `plugin ${command} with these arguments is not on this agent's list of allowed commands` };
  }
  return null;
}
