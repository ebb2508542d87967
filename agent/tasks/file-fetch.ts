/**
 * A file push on the agent: download to a part file beside the target (same filesystem, so the
 * final rename is atomic), resuming with Range after a broken download, check the sha256 of the
 * whole part file, set mode and owner, fsync, and only then rename over the target. A wrong hash
 * deletes the part file and leaves the old target untouched.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { TaskAction } from '../../protocol/task-order.js';

type FileAction = Extract<TaskAction, { kind: 'file' }>;

export interface FetchResult {
  state: 'ok' | 'failed' | 'cancelled';
  message: string;
  bytes: number;
}

const ATTEMPTS = 4;

export const partPath = (target: string, taskId: string) => join(dirname(target), `.${basename(target)}.aw-part-${taskId}`);

export async function fetchFile(taskId: string, action: FileAction, token: string, signal: AbortSignal): Promise<FetchResult> {
  if (!action.path.startsWith('/')) return { state: 'failed', message: 'target path must be absolute', bytes: 0 };
  const folder = await targetFolder(action.path, action.createDirs === true);
  if (folder) return { state: 'failed', message: folder, bytes: 0 };
  const part = partPath(action.path, taskId);
  let lastError = '';
  // Broken downloads are retried (resuming) a few times; "server busy" answers are waited out
  // for as long as the task's timeout allows, since the server sends them on purpose.
  for (let attempt = 0; attempt < ATTEMPTS && !signal.aborted; ) {
    try {
      await downloadRest(action.url, token, part, action.size, signal);
      break;
    } catch (err) {
      lastError = (err as Error).message;
      if ((err as { fatal?: boolean }).fatal) {
        await fs.rm(part, { force: true });
        return { state: 'failed', message: lastError, bytes: 0 };
      }
      if ((err as { busy?: boolean }).busy) continue;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt++));
    }
  }
  if (signal.aborted) {
    await fs.rm(part, { force: true });
    return { state: 'cancelled', message: 'cancelled during download', bytes: 0 };
  }
  const size = await fs.stat(part).then(
    (s) => s.size,
    () => -1,
  );
  if (size !== action.size)
    return {
      state: 'failed',
      message: `download incomplete after ${ATTEMPTS} attempts (${size} of ${action.size} bytes): ${lastError}`,
      bytes: Math.max(size, 0),
    };
  const hash = await sha256File(part);
  if (hash !== action.sha256) {
    await fs.rm(part, { force: true });
    return {
      state: 'failed',
      message: `FILE_HASH_MISMATCH: downloaded file has sha256 ${hash}, the task says ${action.sha256}; target left as it was`,
      bytes: size,
    };
  }
  try {
    await fs.chmod(part, action.mode);
    if (action.owner || action.group) await fs.chown(part, action.owner ? userId(action.owner) : -1, action.group ? groupId(action.group) : -1);
    const fh = await fs.open(part, 'r');
    await fh.sync();
    await fh.close();
    await fs.rename(part, action.path);
  } catch (err) {
    await fs.rm(part, { force: true });
    return { state: 'failed', message: `could not put the file in place: ${(err as Error).message}`, bytes: size };
  }
  return { state: 'ok', message: `wrote ${size} bytes to ${action.path} (sha256 ${hash})`, bytes: size };
}

/**
 * The part file is written beside the target, so its folder must exist before any download: a
 * missing one is made when the order says createDirs, otherwise the push fails now, with the
 * reason, rather than after retries no retry can mend. Answers the failure, or null.
 */
async function targetFolder(target: string, create: boolean): Promise<string | null> {
  const dir = dirname(target);
  const stat = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (!(stat instanceof Error)) return stat.isDirectory() ? null : `target folder ${dir} is not a folder`;
  if (stat.code !== 'ENOENT') return `target folder ${dir} cannot be read: ${stat.code ?? stat.message}`;
  if (!create) return `target folder ${dir} does not exist (set create_dirs to create it)`;
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    return null;
  } catch (err) {
    return `could not create target folder ${dir}: ${(err as Error).message}`;
  }
}

async function downloadRest(url: string, token: string, part: string, size: number, signal: AbortSignal): Promise<void> {
  const have = await fs.stat(part).then(
    (s) => s.size,
    () => -1,
  );
  if (have === size) return;
  if (have > size) await fs.truncate(part, 0);
  const from = have > size ? 0 : Math.max(have, 0);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...(from ? { range: `bytes=${from}-` } : {}) }, signal });
  if (res.status === 429 || res.status === 503) {
    // The server caps concurrent downloads: wait as told and try again (not counted as fatal).
    const wait = Number(res.headers.get('retry-after') ?? '1') * 1000;
    await res.body?.cancel();
    await sleep(Math.min(wait, 30_000) * (0.5 + Math.random()), signal);
    throw Object.assign(new Error('server busy'), { busy: true });
  }
  if (res.status !== 200 && res.status !== 206) {
    const text = await res.text().catch(() => '');
    throw Object.assign(new Error(`download refused: HTTP ${res.status} ${text.slice(0, 200)}`), {
      fatal: res.status === 401 || res.status === 403 || res.status === 404,
    });
  }
  // A 200 to a Range request is the whole file: start the part file again.
  const fh = await fs.open(part, res.status === 206 ? 'a' : 'w', 0o600).catch(async (err: NodeJS.ErrnoException) => {
    await res.body?.cancel();
    // The folder vanished or cannot be written: the next attempt would fail the same way.
    throw Object.assign(new Error(`cannot write ${part}: ${err.message}`), { fatal: true });
  });
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) await fh.write(chunk);
  } finally {
    await fh.close();
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

export const userId = (name: string) => (/^\d+$/.test(name) ? Number(name) : Number(execFileSync('id', ['-u', name]).toString().trim()));
export const groupId = (name: string) => (/^\d+$/.test(name) ? Number(name) : Number(execFileSync('getent', ['group', name]).toString().split(':')[2]));
