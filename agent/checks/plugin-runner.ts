/**
 * Runs monitoring plugins: executables found by name in the agent's plugin folders (never a path
 * from the server, so a template cannot name an arbitrary program), each in its own process group
 * so a timeout kills the plugin and everything it started. At most `maxConcurrent` run at once; the
 * rest wait their turn. Output past `outputCapBytes` is dropped (and said so), never buffered.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

export interface PluginRunnerOptions {
  dirs: string[];
  maxConcurrent?: number;
  outputCapBytes?: number;
  /** Environment for plugins; a small fixed one by default (no inherited secrets). */
  env?: NodeJS.ProcessEnv;
}

export interface PluginRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
  /** Set when the plugin could not be started at all (not found, not executable). */
  error?: string;
}

const GRACE_MS = 1000;

export class PluginRunner {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly maxConcurrent: number;
  private readonly cap: number;

  constructor(private readonly opts: PluginRunnerOptions) {
    this.maxConcurrent = opts.maxConcurrent ?? 4;
    this.cap = opts.outputCapBytes ?? 64 * 1024;
  }

  get active(): number {
    return this.running;
  }

  /** The executable for a plugin name, or undefined when no plugin folder has it. */
  resolve(command: string): string | undefined {
    if (!/^[a-zA-Z0-9_.+-]{1,128}$/.test(command) || command.startsWith('.')) return undefined;
    for (const dir of this.opts.dirs) {
      const file = join(dir, command);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not in this folder
      }
    }
    return undefined;
  }

  async run(command: string, args: string[], timeoutMs: number): Promise<PluginRun> {
    const file = this.resolve(command);
    if (!file) {
      return { exitCode: null, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0, error: `plugin ${command} not found in ${this.opts.dirs.join(', ')}` };
    }
    await this.acquire();
    try {
      return await this.spawnOnce(file, args, timeoutMs);
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private spawnOnce(file: string, args: string[], timeoutMs: number): Promise<PluginRun> {
    const started = performance.now();
    return new Promise((resolve) => {
      const child = spawn(file, args, {
        detached: true, // own process group: the timeout kills what the plugin forked too
        stdio: ['ignore', 'pipe', 'pipe'],
        env: this.opts.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let truncated = false;
      let timedOut = false;
      let spawnError: string | undefined;
      child.stdout.on('data', (b: Buffer) => {
        if (outBytes >= this.cap) {
          truncated = true;
          return;
        }
        out.push(b.subarray(0, this.cap - outBytes));
        if (b.length > this.cap - outBytes) truncated = true;
        outBytes += b.length;
      });
      child.stderr.on('data', (b: Buffer) => {
        if (errBytes < 4096) err.push(b.subarray(0, 4096 - errBytes));
        errBytes += b.length;
      });
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), GRACE_MS).unref();
      }, timeoutMs);
      child.on('error', (e) => {
        spawnError = e.message;
      });
      // Children of the plugin still running at its exit go too (they would hold the pipes open):
      // a check leaves nothing behind.
      child.on('exit', () => killGroup('SIGKILL'));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({
          exitCode: code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          timedOut,
          truncated,
          durationMs: performance.now() - started,
          ...(spawnError ? { error: spawnError } : {}),
        });
      });
    });
  }
}
