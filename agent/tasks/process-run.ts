/**
 * Runs one command as its own process group, so that a timeout or a cancel kills everything it
 * started (children, pipelines, background jobs), not just the first process: SIGTERM to the group,
 * then SIGKILL to the group after a grace period. Output is capped per stream (output-cap.ts) and
 * handed to `onOutput` as it comes, for the live view.
 */
import { spawn } from 'node:child_process';
import { CappedOutput } from './output-cap.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  timeoutMs: number;
  capBytes: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

export interface ProcessResult {
  state: 'ok' | 'failed' | 'timed_out' | 'cancelled';
  exitCode: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  stdoutCut: boolean;
  stderrCut: boolean;
  durationMs: number;
  message?: string;
}

export interface RunningProcess {
  done: Promise<ProcessResult>;
  /** Kills the whole process group; the result's state is then `cancelled`. */
  cancel(): void;
}

export function runProcess(spec: ProcessSpec, onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => void): RunningProcess {
  const started = Date.now();
  const stdout = new CappedOutput(spec.capBytes);
  const stderr = new CappedOutput(spec.capBytes);
  let ending: 'timed_out' | 'cancelled' | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  const child = spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    uid: spec.uid,
    gid: spec.gid,
    detached: true, // setsid: the child leads a new process group whose id is its pid
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is gone already
    }
  };
  const end = (why: 'timed_out' | 'cancelled') => {
    if (ending) return;
    ending = why;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), spec.killGraceMs ?? 2000);
  };
  const timer = setTimeout(() => end('timed_out'), spec.timeoutMs);

  child.stdout!.on('data', (d: Buffer) => {
    const kept = stdout.push(d);
    if (kept.length) onOutput('stdout', kept);
  });
  child.stderr!.on('data', (d: Buffer) => {
    const kept = stderr.push(d);
    if (kept.length) onOutput('stderr', kept);
  });

  const done = new Promise<ProcessResult>((resolve) => {
    const finish = (exitCode: number | null, signal: string | null, message?: string) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Whatever the leader left behind in its group goes with it once the run is over.
      if (ending) killGroup('SIGKILL');
      const state = ending ?? (exitCode === 0 ? 'ok' : 'failed');
      resolve({
        state,
        exitCode,
        signal: signal ?? undefined,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutCut: stdout.cut,
        stderrCut: stderr.cut,
        durationMs: Date.now() - started,
        message:
          message ??
          (ending === 'timed_out'
            ? `killed the process group after the ${spec.timeoutMs / 1000} s timeout`
            : ending === 'cancelled'
              ? 'cancelled: process group killed'
              : undefined),
      });
    };
    child.once('error', (err) => finish(null, null, `could not start ${spec.file}: ${err.message}`));
    // 'close' waits for the output pipes as well as the exit, so no output is lost.
    child.once('close', (code, signal) => finish(code, signal));
  });

  return { done, cancel: () => end('cancelled') };
}
