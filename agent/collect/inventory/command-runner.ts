import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code 0 within the time limit. */
  ok: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Why it did not succeed: not installed, killed at the time limit, non-zero exit, or could not start. */
  failure?: 'not-found' | 'timeout' | 'exit-code' | 'spawn-error';
}

/** Runs one external command. Never rejects: every failure is a result, so callers fall through to the next source. */
export type CommandRunner = (command: string, args: readonly string[], timeoutMs: number) => Promise<CommandResult>;

export const runCommand: CommandRunner = (command, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        timeout: timeoutMs,
        // lshw and dmidecode ignore SIGTERM while probing hardware.
        killSignal: 'SIGKILL',
        maxBuffer: 32 * 1024 * 1024,
        // The parsers read English labels and dots as decimal separators.
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true, stdout, stderr, exitCode: 0 });
        const failure = error.code === 'ENOENT' ? 'not-found' : error.killed ? 'timeout' : typeof error.code === 'number' ? 'exit-code' : 'spawn-error';
        resolve({ ok: false, stdout: stdout ?? '', stderr: stderr ?? '', exitCode: typeof error.code === 'number' ? error.code : null, failure });
      },
    );
  });

/**
 * The output worth parsing. A non-zero exit can still come with usable output (dmidecode exits 1 after
 * warnings), so only a missing tool or one killed mid-write yields nothing.
 */
export function usableOutput(result: CommandResult): string | undefined {
  return result.ok || result.failure === 'exit-code' ? result.stdout : undefined;
}
