/**
 * A task's state and each host's output, live: read from the task's event stream (GET
 * /tasks/:id/output/stream, with the session token, see sse.ts), which first replays where every
 * host stands and then sends output chunks as agents write them. If the stream cannot be opened or
 * breaks before the task ends, the same view is kept up by reading the task every second.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, fetchBody } from '../api';
import { readSse, type SseEvent } from '../sse';

export interface HostResult {
  host_id: string;
  hostname: string;
  state: string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  stdout_cut: boolean;
  stderr_cut: boolean;
  duration_ms: number | null;
  message: string | null;
}

export const TASK_FINISHED = new Set(['done', 'stopped', 'cancelled', 'rejected']);
export const HOST_FINISHED = new Set(['ok', 'failed', 'timed_out', 'cancelled', 'unreachable', 'refused']);

export interface TaskLive {
  /** The task's state as last heard (undefined until the first word from the server). */
  state: string | undefined;
  hosts: HostResult[] | undefined;
  /** How the view is kept fresh: the event stream, or reading every second after the stream failed. */
  via: 'connecting' | 'stream' | 'poll';
  /** Why the stream was given up (the view then polls). */
  streamFailure: string | undefined;
  /** The last read that failed while polling. */
  error: ApiError | undefined;
}

const POLL_MS = 1000;
const blank = (host_id: string): HostResult => ({
  host_id,
  hostname: '',
  state: 'queued',
  exit_code: null,
  stdout: '',
  stderr: '',
  stdout_cut: false,
  stderr_cut: false,
  duration_ms: null,
  message: null,
});
const asApiError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, 'STREAM', (err as Error).message, null));

export function useTaskLive(id: string): TaskLive {
  const [view, setView] = useState<TaskLive>({ state: undefined, hosts: undefined, via: 'connecting', streamFailure: undefined, error: undefined });

  useEffect(() => {
    const stop = new AbortController();
    const rows = new Map<string, HostResult>();
    const names = new Map<string, string>();
    let state: string | undefined;
    let via: TaskLive['via'] = 'connecting';
    let streamFailure: string | undefined;
    let error: ApiError | undefined;
    let loaded = false;
    // Chunks come many a second: the screen is redrawn at most once a frame.
    let frame = 0;
    const publish = () => {
      if (frame || stop.signal.aborted) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (stop.signal.aborted) return;
        const hosts = [...rows.values()].map((r) => (r.hostname ? r : { ...r, hostname: names.get(r.host_id) ?? r.host_id.slice(0, 8) }));
        hosts.sort((a, b) => a.hostname.localeCompare(b.hostname));
        setView({ state, hosts: loaded ? hosts : undefined, via, streamFailure, error });
      });
    };

    const apply = (e: SseEvent) => {
      const d = JSON.parse(e.data);
      if (e.event === 'task' || e.event === 'end') state = d.state;
      else if (e.event === 'result') rows.set(d.host_id, d);
      else if (e.event === 'host')
        rows.set(d.host_id, { ...(rows.get(d.host_id) ?? blank(d.host_id)), state: d.state, exit_code: d.exit_code, message: d.message });
      else if (e.event === 'output') {
        const r = rows.get(d.host_id) ?? blank(d.host_id);
        if (d.stream === 'stdout' || d.stream === 'stderr') rows.set(d.host_id, { ...r, [d.stream]: r[d.stream as 'stdout' | 'stderr'] + d.data });
      }
      if (e.event !== 'output') loaded = true;
      publish();
    };

    const stream = async () => {
      const res = await fetchBody(`/api/v1/tasks/${id}/output/stream`, 'text/event-stream', stop.signal);
      via = 'stream';
      publish();
      let ended = false;
      await readSse(res, (e) => {
        if (e.event === 'end') ended = true;
        apply(e);
      });
      if (!ended && !stop.signal.aborted) throw new Error('the live stream closed before the task finished');
    };

    const poll = async () => {
      via = 'poll';
      while (!stop.signal.aborted) {
        try {
          // The task first: if it had finished, the hosts read after it are final.
          const t = await call<{ state: string }>('GET', `/api/v1/tasks/${id}`);
          const h = await call<HostResult[]>('GET', `/api/v1/tasks/${id}/hosts`);
          state = t.data.state;
          rows.clear();
          for (const r of h.data) rows.set(r.host_id, r);
          loaded = true;
          error = undefined;
          publish();
          if (TASK_FINISHED.has(state)) return;
        } catch (err) {
          error = asApiError(err);
          publish();
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };

    // Host names: host events carry only ids.
    call<HostResult[]>('GET', `/api/v1/tasks/${id}/hosts`).then(
      (a) => {
        for (const r of a.data) names.set(r.host_id, r.hostname);
        publish();
      },
      () => undefined, // the stream or the polling shows what is wrong
    );
    stream().catch((err) => {
      if (stop.signal.aborted) return;
      const e = asApiError(err);
      streamFailure = e.requestId ? `${e.message} (${e.code}, request id ${e.requestId})` : e.message;
      return poll();
    });

    return () => {
      stop.abort();
      cancelAnimationFrame(frame);
    };
  }, [id]);

  return view;
}
