/**
 * Shape checks for decoded payloads. Hand-written rather than schema-driven because metrics frames
 * are the hot path; each failure names the field so the agent's log says what it sent wrong.
 */
import { storable, unstorable } from './storable-text.js';
import type {
  HelloMessage,
  HeartbeatMessage,
  Labels,
  MetricsMessage,
  MetricPoint,
  InventoryMessage,
  ErrorMessage,
  AckMessage,
  TaskResultMessage,
} from './messages.js';

export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,199}$/;
export const LABEL_KEY = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;
export const MAX_LABELS = 16;
export const MAX_LABEL_VALUE = 256;
export const MAX_POINTS_PER_FRAME = 50_000;

export class PayloadError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'PayloadError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

function str(o: Record<string, unknown>, field: string, max: number, required: boolean): string | undefined {
  const v = o[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.length > max || (required && !v.length)) {
    throw new PayloadError(field, `must be a ${required ? 'non-empty ' : ''}string of at most ${max} characters`);
  }
  storableText(v, field);
  return v;
}

/**
 * Text the stores cannot keep (NUL, half a surrogate pair) is refused here, per frame: let through,
 * it would fail the shared write batch of every agent whose points ride with it.
 */
function storableText(v: string, field: string): void {
  const why = unstorable(v);
  if (why) throw new PayloadError(field, why === 'nul' ? 'must not contain NUL characters' : 'must not contain half of a UTF-16 surrogate pair');
}

/** Any string (or key) at any depth the stores cannot keep; the path names where, by position only. */
function checkStorableTree(v: unknown, field: string, depth = 0): void {
  if (depth > 32) throw new PayloadError(field, 'is nested too deeply');
  if (typeof v === 'string') return storableText(v, field);
  if (Array.isArray(v)) return v.forEach((x, i) => checkStorableTree(x, `${field}[${i}]`, depth + 1));
  if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      storableText(k, `${field} (a key)`);
      checkStorableTree(x, `${field}.${safeName(k)}`, depth + 1);
    }
  }
}

/**
 * A field name built from a key the sender chose, fit to echo back in an error or close reason:
 * printable ASCII only, short. Anything else is shown by position, never as the sender's bytes.
 */
function safeName(k: string): string {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(k) ? k : '<key>';
}

export function checkLabels(v: unknown, field: string): Labels | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new PayloadError(field, 'must be a map of strings');
  const keys = Object.keys(v);
  if (keys.length > MAX_LABELS) throw new PayloadError(field, `has more than ${MAX_LABELS} labels`);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!LABEL_KEY.test(k)) throw new PayloadError(`${field} (label ${i + 1})`, 'label name must match [a-zA-Z_][a-zA-Z0-9_]{0,63}');
    const val = v[k];
    if (typeof val !== 'string' || val.length > MAX_LABEL_VALUE)
      throw new PayloadError(`${field}.${k}`, `must be a string of at most ${MAX_LABEL_VALUE} characters`);
    storableText(val, `${field}.${k}`);
  }
  return v as Labels;
}

export function checkMetrics(v: unknown): MetricsMessage {
  if (!isObject(v)) throw new PayloadError('metrics', 'must be a map');
  const batch = v.batch;
  if (typeof batch !== 'number' || !Number.isSafeInteger(batch) || batch < 0) throw new PayloadError('batch', 'must be a non-negative integer');
  const points = v.points;
  if (!Array.isArray(points) || points.length > MAX_POINTS_PER_FRAME)
    throw new PayloadError('points', `must be a list of at most ${MAX_POINTS_PER_FRAME} points`);
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as MetricPoint;
    if (!isObject(p)) throw new PayloadError(`points[${i}]`, 'must be a map');
    if (typeof p.name !== 'string' || !METRIC_NAME.test(p.name)) throw new PayloadError(`points[${i}].name`, 'must match [a-zA-Z_][a-zA-Z0-9_.:-]{0,199}');
    if (typeof p.t !== 'number' || !Number.isSafeInteger(p.t) || p.t < 0) throw new PayloadError(`points[${i}].t`, 'must be ms since the epoch');
    if (typeof p.v !== 'number' || !Number.isFinite(p.v)) throw new PayloadError(`points[${i}].v`, 'must be a finite number');
    if (p.labels !== undefined) checkLabels(p.labels, `points[${i}].labels`);
  }
  return { batch, points: points as MetricPoint[] };
}

export function checkHello(v: unknown): HelloMessage {
  if (!isObject(v)) throw new PayloadError('hello', 'must be a map');
  if (typeof v.protocol !== 'number') throw new PayloadError('protocol', 'must be a number');
  return {
    protocol: v.protocol,
    agentVersion: str(v, 'agentVersion', 64, true)!,
    hostname: str(v, 'hostname', 255, true)!,
    os: str(v, 'os', 255, false),
    kernel: str(v, 'kernel', 255, false),
    arch: str(v, 'arch', 32, false),
    machineId: str(v, 'machineId', 128, false),
    configVersion: str(v, 'configVersion', 128, false),
  };
}

export function checkHeartbeat(v: unknown): HeartbeatMessage {
  if (!isObject(v)) throw new PayloadError('heartbeat', 'must be a map');
  return v as HeartbeatMessage;
}

export function checkInventory(v: unknown): InventoryMessage {
  if (!isObject(v) || !isObject(v.report)) throw new PayloadError('report', 'must be a map');
  checkStorableTree(v.report, 'report');
  return { report: v.report };
}

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export function checkAck(v: unknown): AckMessage {
  if (!isObject(v) || !isSeq(v.seq)) throw new PayloadError('seq', 'must be a positive integer');
  return { seq: v.seq };
}

export function checkError(v: unknown): ErrorMessage {
  if (!isObject(v)) throw new PayloadError('error', 'must be a map');
  if (v.seq !== undefined && !isSeq(v.seq)) throw new PayloadError('seq', 'must be a positive integer');
  const code = str(v, 'code', 64, true)!;
  if (!/^[A-Z][A-Z0-9_]*$/.test(code)) throw new PayloadError('code', 'must be an upper-case error code');
  return { code, message: str(v, 'message', 1024, false) ?? '', seq: v.seq as number | undefined };
}

/** A command's output may hold any bytes, NUL included: kept, with what a store cannot hold replaced. */
function outputText(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (v === undefined) return '';
  if (typeof v !== 'string' || v.length > MAX_TASK_TEXT) throw new PayloadError(field, `must be a string of at most ${MAX_TASK_TEXT} characters`);
  return storable(v);
}

const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Upper bound on one task-result frame's text; the agent's own cap (the order's) is smaller. */
const MAX_TASK_TEXT = 4 * 1024 * 1024;

export function checkTaskResult(v: unknown): TaskResultMessage {
  if (!isObject(v)) throw new PayloadError('taskResult', 'must be a map');
  if (typeof v.taskId !== 'string' || !TASK_ID.test(v.taskId)) throw new PayloadError('taskId', 'must be a task uuid');
  switch (v.event) {
    case 'started':
      return { taskId: v.taskId, event: 'started' };
    case 'output':
      if (v.stream !== 'stdout' && v.stream !== 'stderr') throw new PayloadError('stream', 'must be stdout or stderr');
      return { taskId: v.taskId, event: 'output', stream: v.stream, data: outputText(v, 'data') };
    case 'done': {
      if (!['ok', 'failed', 'timed_out', 'cancelled'].includes(v.state as string))
        throw new PayloadError('state', 'must be ok, failed, timed_out or cancelled');
      if (v.exitCode !== null && (typeof v.exitCode !== 'number' || !Number.isInteger(v.exitCode)))
        throw new PayloadError('exitCode', 'must be an integer or null');
      if (typeof v.durationMs !== 'number' || v.durationMs < 0) throw new PayloadError('durationMs', 'must be a non-negative number');
      return {
        taskId: v.taskId,
        event: 'done',
        state: v.state as 'ok',
        exitCode: v.exitCode as number | null,
        signal: str(v, 'signal', 16, false),
        stdout: outputText(v, 'stdout'),
        stderr: outputText(v, 'stderr'),
        stdoutCut: v.stdoutCut === true,
        stderrCut: v.stderrCut === true,
        durationMs: Math.round(v.durationMs),
        message: str(v, 'message', 1024, false),
      };
    }
    case 'refused':
      return { taskId: v.taskId, event: 'refused', code: str(v, 'code', 64, true)!, message: str(v, 'message', 1024, false) ?? '' };
    default:
      throw new PayloadError('event', 'must be started, output, done or refused');
  }
}
