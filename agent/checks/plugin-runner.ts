/**
 * Runs monitoring plugins: executables found by name in the agent's plugin folders (never a path
 * from the server), and only those the agent's plugin policy allows (plugin-policy.ts: wrappers such
 * as `negate` would run any program a template names), each in its own process group
 * so a timeout kills the plugin and everything it started. At most `maxConcurrent` run at once; the
 * rest wait their turn. Output past `outputCapBytes` is dropped (and said so), never buffered.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pluginRefusal, type PluginPolicy, type PluginRefusal } from './plugin-policy.js';

export interface PluginRunnerOptions {
  dirs: string[];
  maxConcurrent?: number;
  outputCapBytes?: number;
  /** Environment for plugins; a small fixed one by default (no inherited secrets). */
  env?: NodeJS.ProcessEnv;
  /** The owner's say over which plugins run; without one, wrapper plugins are still refused. */
  policy?: PluginPolicy;
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
  /** Set when the agent's policy refused the plugin: it was not started. */
  refused?: PluginRefusal;
}

const GRACE_MS = 1000;
const NOT_RUN = { exitCode: null, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0 } as const;

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
    return this.locate(command)?.file;
  }

  /** The plugin's path in its folder and the real path it leads to (symlinks followed). */
  private locate(command: string): { file: string; real: string } | undefined {
    if (!/^[a-zA-Z0-9_.+-]{1,128}$/.test(command) || command.startsWith('.')) return undefined;
    for (const dir of this.opts.dirs) {
      const file = join(dir, command);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
        return { file, real: realpathSync(file) };
      } catch {
        // not in this folder
      }
    }
    return undefined;
  }

  async run(command: string, args: string[], timeoutMs: number): Promise<PluginRun> {
    const found = this.locate(command);
    if (!found) {
      return { ...NOT_RUN, error: `plugin ${command} not found in ${this.opts.dirs.join(', ')}` };
    }
    // Judged by what the name leads to (a symlink to a shell is a shell), run by the name itself
    // (multi-call plugins such as check_tcp read their name).
    const refused = pluginRefusal(this.opts.policy ?? {}, command, args, found.real);
    if (refused) return { ...NOT_RUN, refused };
    await this.acquire();
    try {
      return await this.spawnOnce(found.file, args, timeoutMs);
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
