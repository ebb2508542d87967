/**
 * GET /agent-files/:task/:agent: agents fetch a file push's content here with the per-task,
 * per-agent bearer token from their signed order. Outside /api because agents are not API callers
 * (no API key, no API rate limit); instead the node serves at most `maxDownloads` at once and
 * answers 503 + Retry-After past that, so thousands of agents starting together queue up on their
 * side instead of exhausting the server. Range requests (one range, `bytes=N-` or `bytes=N-M`)
 * let a broken download resume. Sending follows the socket's backpressure (tryEnd/onWritable).
 */
import { createReadStream } from 'node:fs';
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { AppError } from '../errors.js';
import { statusOf } from './error-answer.js';
import type { Logger } from '../log.js';
import type { FileStore } from '../tasks/file-store.js';
import type { TaskService } from '../tasks/task-service.js';

export interface DownloadStats {
  active: number;
  served: number;
  busy: number;
  bytes: number;
}

export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

export function serveTaskFiles(app: TemplatedApp, deps: { tasks: TaskService; files: FileStore; maxDownloads: number; log: Logger }): DownloadStats {
  const stats: DownloadStats = { active: 0, served: 0, busy: 0, bytes: 0 };

  app.get('/agent-files/:task/:agent', (res, req) => {
    const taskId = req.getParameter(0) ?? '';
    const agentId = req.getParameter(1) ?? '';
    const auth = req.getHeader('authorization');
    const rangeHeader = req.getHeader('range') || undefined;
    let aborted = false;
    let onAbort: (() => void) | undefined;
    res.onAborted(() => {
      aborted = true;
      onAbort?.();
    });
    if (stats.active >= deps.maxDownloads) {
      stats.busy++;
      return answer(res, 503, { 'retry-after': '1' }, 'too many downloads at once; retry');
    }
    stats.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      stats.active--;
    };
    onAbort = release;
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    deps.tasks.downloadable(taskId, agentId, token).then(
      ({ sha256, size }) => {
        if (aborted) return;
        const range = parseRange(rangeHeader, size);
        if (range === 'invalid') {
          release();
          return answer(res, 416, { 'content-range': `bytes */${size}` }, 'range not satisfiable');
        }
        const { start, end } = range ?? { start: 0, end: size - 1 };
        res.cork(() => {
          res.writeStatus(range ? '206 Partial Content' : '200 OK');
          res.writeHeader('content-type', 'application/octet-stream');
          res.writeHeader('accept-ranges', 'bytes');
          res.writeHeader('x-sha256', sha256);
          if (range) res.writeHeader('content-range', `bytes ${start}-${end}/${size}`);
        });
        if (size === 0) {
          res.cork(() => res.end());
          release();
          stats.served++;
          return;
        }
        stream(
          res,
          deps.files.pathOf(sha256),
          start,
          end,
          (sent) => {
            stats.bytes += sent;
            stats.served++;
            release();
          },
          (h) =>
            (onAbort = () => {
              h();
              release();
            }),
        );
      },
      (err) => {
        release();
        if (aborted) return;
        if (err instanceof AppError) return answer(res, statusOf(err), {}, `${err.code}: ${err.message}`);
        deps.log.error({ err, task: taskId }, 'task file download failed');
        answer(res, 500, {}, 'internal error');
      },
    );
  });
  return stats;
}

function answer(res: HttpResponse, status: number, headers: Record<string, string>, text: string): void {
  res.cork(() => {
    res.writeStatus(`${status}`);
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.writeHeader('content-type', 'text/plain; charset=utf-8');
    res.end(text);
  });
}

/** Streams bytes start..end (inclusive) of a file, pausing the read while the socket is full. */
function stream(res: HttpResponse, path: string, start: number, end: number, done: (sent: number) => void, setAbort: (h: () => void) => void): void {
  const total = end - start + 1;
  const file = createReadStream(path, { start, end, highWaterMark: 256 * 1024 });
  let finished = false;
  let sent = 0;
  const finish = () => {
    if (finished) return;
    finished = true;
    file.destroy();
    done(sent);
  };
  setAbort(() => {
    finished = true;
    file.destroy();
  });
  file.on('data', (chunk: string | Buffer) => {
    const buf = chunk as Buffer;
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const base = res.getWriteOffset();
    let ok = false;
    let responded = false;
    res.cork(() => {
      [ok, responded] = res.tryEnd(ab, total);
    });
    if (responded) {
      sent = total;
      return finish();
    }
    if (ok) return;
    file.pause();
    res.onWritable((offset) => {
      let ok2 = false;
      let responded2 = false;
      res.cork(() => {
        [ok2, responded2] = res.tryEnd(ab.slice(offset - base), total);
      });
      if (responded2) {
        sent = total;
        finish();
      } else if (ok2) file.resume();
      return ok2;
    });
  });
  file.on('error', () => {
    if (finished) return;
    finished = true;
    res.cork(() => res.close());
    done(sent);
  });
}
