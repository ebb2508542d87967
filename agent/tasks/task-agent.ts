/**
 * The agent's task side: every task frame is opened against the server key pinned at enrollment
 * (task-order.ts), checked for replay (seen-orders.ts) and against the local policy
 * (task-policy.ts), then run (process-run.ts, file-fetch.ts). Every refusal is reported back.
 * Output streams to the server as it comes; the final result is kept until the server acks it and
 * sent again after a reconnect, so a result is not lost to a dropped connection.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MessageType, type MessageTypeCode, type TaskResultMessage } from '../../protocol/messages.js';
import { OrderRefused, openOrder, type TaskAction, type TaskOrder } from '../../protocol/task-order.js';
import { fetchFile, sha256File } from './file-fetch.js';
import { runProcess, type ProcessResult } from './process-run.js';
import type { SeenOrders } from './seen-orders.js';
import { policyRefusal, type TaskPolicy } from './task-policy.js';

export interface TaskChannel {
  /** Sends a frame; returns its sequence number, or -1 when not connected. */
  send(type: MessageTypeCode, message: unknown): number;
}

export interface TaskAgentOptions {
  agentId: string;
  /** The server's ed25519 key pinned at enrollment (identity.json). */
  serverPublicKey: Uint8Array;
  policy: TaskPolicy;
  seen: SeenOrders;
  log: Logger;
  /** http(s)://host:port of the server, for file downloads (orders carry paths). */
  httpBase: string;
  /** Live output is sent at most this often per task (coalesced), ms. */
  outputFlushMs?: number;
  /** The bundle this agent runs from, which agent-upgrade replaces; none when run from the sources. */
  selfPath?: string;
  /** Starts the upgraded agent in this one's place (main.ts), once the server has the upgrade's result. */
  restart?(): void;
}

/** After an upgrade the agent restarts on the server's ack of the result, or after this long without it. */
const RESTART_ACK_WAIT_MS = 10_000;

interface Run {
  cancel(): void;
}

const MAX_OUTPUT_FRAME = 64 * 1024;
const NO_OUTPUT = { stdout: '', stderr: '', stdoutCut: false, stderrCut: false } as const;

export class TaskAgent {
  private channel: TaskChannel | undefined;
  private readonly running = new Map<string, Run>();
  /** Final results and refusals waiting for the server's ack, by frame seq. */
  private readonly unacked = new Map<number, TaskResultMessage>();
  private readonly waiting: TaskResultMessage[] = [];
  /** The task whose upgrade result, once acknowledged, restarts the agent. */
  private restartAfter: string | undefined;

  constructor(private readonly opts: TaskAgentOptions) {}

  attach(channel: TaskChannel): void {
    this.channel = channel;
  }

  /** A new connection: everything not acknowledged on the old one is sent again. */
  onConnected(): void {
    const again = [...this.unacked.values(), ...this.waiting.splice(0)];
    this.unacked.clear();
    for (const m of again) this.report(m);
  }

  onAck(seq: number): boolean {
    const m = this.unacked.get(seq);
    if (m && m.taskId === this.restartAfter) this.restartNow();
    return this.unacked.delete(seq);
  }

  onRefused(seq: number | undefined, retryAfterMs: number | undefined): boolean {
    if (seq === undefined) return false;
    const m = this.unacked.get(seq);
    if (!m) return false;
    this.unacked.delete(seq);
    if (retryAfterMs !== undefined) setTimeout(() => this.report(m), retryAfterMs).unref();
    else this.opts.log.error({ task: m.taskId }, 'server refused a task result for good');
    return true;
  }

  get runningCount(): number {
    return this.running.size;
  }

  onTask(message: unknown): void {
    let order: TaskOrder;
    try {
      order = openOrder(message, this.opts.serverPublicKey, this.opts.agentId, Date.now());
      if (order.action.kind !== 'cancel') {
        if (!this.opts.seen.remember(order.taskId, order.nonce, order.expiresAt)) {
          throw new OrderRefused('TASK_REPLAYED', 'this task (id and nonce) was run before', order.taskId);
        }
        const refusal = policyRefusal(this.opts.policy, order.action);
        if (refusal) throw new OrderRefused('TASK_NOT_ALLOWED', refusal, order.taskId);
      }
    } catch (err) {
      if (!(err instanceof OrderRefused)) throw err;
      this.opts.log.warn({ task: err.taskId, code: err.code }, `task refused: ${err.message}`);
      if (err.taskId) this.report({ taskId: err.taskId, event: 'refused', code: err.code, message: err.message });
      return;
    }
    if (order.action.kind === 'cancel') {
      this.running.get(order.taskId)?.cancel();
      return;
    }
    if (this.running.has(order.taskId)) {
      this.opts.log.info({ task: order.taskId }, 'task sent again while it runs; the running one reports');
      return;
    }
    void this.run(order);
  }

  private async run(order: TaskOrder): Promise<void> {
    this.opts.log.info({ task: order.taskId, kind: order.action.kind }, 'running task');
    this.report({ taskId: order.taskId, event: 'started' });
    let result: ProcessResult;
    try {
      const a = order.action;
      result = a.kind === 'file' ? await this.pushFile(order, a) : a.kind === 'agent-upgrade' ? await this.upgrade(order, a) : await this.runCommand(order);
    } catch (err) {
      result = { state: 'failed', exitCode: null, stdout: '', stderr: '', stdoutCut: false, stderrCut: false, durationMs: 0, message: (err as Error).message };
    } finally {
      this.running.delete(order.taskId);
    }
    this.report({ taskId: order.taskId, event: 'done', ...result });
  }

  /**
   * The bundle is a file push onto this agent's own file (downloaded beside it, checked against the
   * signed SHA-256, renamed over it), then a restart once the server has the result.
   */
  private async upgrade(order: TaskOrder, a: Extract<TaskAction, { kind: 'agent-upgrade' }>): Promise<ProcessResult> {
    const self = this.opts.selfPath;
    if (!self) throw new Error('this agent runs from its sources, not from the bundle: update the checkout instead');
    if ((await sha256File(self)) === a.sha256) {
      return { ...NO_OUTPUT, state: 'ok', exitCode: 0, durationMs: 0, message: `already running ${a.version} (sha256 ${a.sha256})` };
    }
    const result = await this.pushFile(order, { kind: 'file', url: a.url, sha256: a.sha256, size: a.size, path: self, mode: 0o755 });
    if (result.state === 'ok') {
      result.message = `replaced ${self} with ${a.version} (sha256 ${a.sha256}); restarting`;
      this.restartAfter = order.taskId;
      setTimeout(() => this.restartNow(), RESTART_ACK_WAIT_MS).unref();
    }
    return result;
  }

  private restartNow(): void {
    if (this.restartAfter === undefined) return;
    this.restartAfter = undefined;
    this.opts.restart?.();
  }

  private async runCommand(order: TaskOrder): Promise<ProcessResult> {
    const a = order.action;
    const ids: { uid?: number; gid?: number } = order.runAs ? userIds(order.runAs) : {};
    let scratch: string | undefined;
    let file: string;
    let args: string[];
    if (a.kind === 'shell') [file, args] = ['/bin/sh', ['-c', a.command]];
    else if (a.kind === 'argv') [file, args] = [a.argv[0], a.argv.slice(1)];
    else if (a.kind === 'script') {
      scratch = mkdtempSync(join(tmpdir(), 'aw-task-'));
      const path = join(scratch, 'script');
      writeFileSync(path, a.script, { mode: 0o700 });
      if (ids.uid !== undefined) {
        chownSync(scratch, ids.uid, ids.gid!);
        chownSync(path, ids.uid, ids.gid!);
      }
      [file, args] = [a.interpreter, [path]];
    } else throw new Error(`unknown action ${a.kind}`);
    const out = this.outputStream(order.taskId);
    const proc = runProcess(
      {
        file,
        args,
        cwd: order.cwd,
        uid: ids.uid,
        gid: ids.gid,
        timeoutMs: order.timeoutS * 1000,
        capBytes: order.outputCapBytes,
        env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...order.env },
      },
      out.push,
    );
    this.running.set(order.taskId, { cancel: proc.cancel });
    try {
      return await proc.done;
    } finally {
      out.flush();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  }

  private async pushFile(order: TaskOrder, a: Extract<TaskAction, { kind: 'file' }>): Promise<ProcessResult> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), order.timeoutS * 1000);
    this.running.set(order.taskId, { cancel: () => abort.abort() });
    const started = Date.now();
    try {
      const r = await fetchFile(order.taskId, { ...a, url: new URL(a.url, this.opts.httpBase).toString() }, order.downloadToken ?? '', abort.signal);
      const timedOut = r.state === 'cancelled' && Date.now() - started >= order.timeoutS * 1000;
      return {
        ...NO_OUTPUT,
        state: timedOut ? 'timed_out' : r.state,
        exitCode: r.state === 'ok' ? 0 : null,
        durationMs: Date.now() - started,
        message: r.message,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Live output, coalesced: one frame per stream per flush interval or per 64 KiB. */
  private outputStream(taskId: string) {
    const pending: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
    const size = { stdout: 0, stderr: 0 };
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      for (const stream of ['stdout', 'stderr'] as const) {
        if (!pending[stream].length) continue;
        const data = Buffer.concat(pending[stream].splice(0)).toString('utf8');
        size[stream] = 0;
        // Live output is best effort: the final result carries all of it again.
        this.channel?.send(MessageType.taskResult, { taskId, event: 'output', stream, data } satisfies TaskResultMessage);
      }
    };
    const push = (stream: 'stdout' | 'stderr', data: Buffer) => {
      pending[stream].push(data);
      size[stream] += data.length;
      if (size[stream] >= MAX_OUTPUT_FRAME) flush();
      else timer ??= setTimeout(flush, this.opts.outputFlushMs ?? 100);
    };
    return { push, flush };
  }

  private report(m: TaskResultMessage): void {
    const seq = this.channel?.send(MessageType.taskResult, m) ?? -1;
    if (m.event === 'output') return;
    if (seq < 0) this.waiting.push(m);
    else if (m.event !== 'started') this.unacked.set(seq, m);
  }
}

function userIds(name: string): { uid: number; gid: number } {
  try {
    return { uid: Number(execFileSync('id', ['-u', name]).toString().trim()), gid: Number(execFileSync('id', ['-g', name]).toString().trim()) };
  } catch {
    throw new Error(`run-as user ${name} does not exist on this host`);
  }
}
