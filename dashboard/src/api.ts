/**
 * The one way the dashboard talks to the server: the REST API's envelope { data, error, meta,
 * request_id }. A failure becomes an ApiError carrying the API's code, message and request id, so
 * every page can show what went wrong and what to quote when asking for help.
 */

export interface PageMeta {
  limit?: number;
  next_cursor?: string | null;
  total?: number;
  [k: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The route is not on this server (yet): the page shows "not available" rather than an error. */
  get missingRoute(): boolean {
    return this.code === 'ROUTE_NOT_FOUND';
  }
}

const TOKEN_KEY = 'aw.session';
let token: string | null = localStorage.getItem(TOKEN_KEY);
const listeners = new Set<() => void>();

export const session = {
  get token() {
    return token;
  },
  set(t: string | null) {
    token = t;
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
    for (const l of listeners) l();
  },
  subscribe(l: () => void) {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

export interface Answer<T> {
  data: T;
  meta: PageMeta;
  requestId: string | null;
  /** The member's ETag, to send back in If-Match. */
  etag: string | null;
}

/** A body sent as it is (a picked file, CSV text) instead of as JSON. */
export class RawBody {
  constructor(
    readonly data: Blob | string,
    readonly type: string,
  ) {}
}

/** Sends a request with the session's token; only a network failure throws here. */
async function send(method: string, path: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload: BodyInit | undefined;
  if (body instanceof RawBody) {
    h['content-type'] = body.type;
    payload = body.data;
  } else if (body !== undefined) {
    h['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  try {
    return await fetch(path, { method, headers: h, body: payload, signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, 'NETWORK', `cannot reach the server (${(err as Error).message})`, null);
  }
}

/** The API's error envelope of a failed answer as an ApiError. */
function failure(res: Response, parsed: any, path: string): ApiError {
  const e = parsed?.error;
  // A session that ended (expired, logged out elsewhere, user disabled) sends the person to log in.
  if (res.status === 401 && token && !path.startsWith('/api/v1/sessions')) session.set(null);
  return new ApiError(
    res.status,
    e?.code ?? `HTTP_${res.status}`,
    e?.message ?? res.statusText ?? 'request failed',
    parsed?.request_id ?? res.headers.get('x-request-id'),
    e?.details,
  );
}

const jsonOf = (res: Response): Promise<any> => res.json().catch(() => null); // a proxy's HTML error page, or an empty body

export async function call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const res = await send(method, path, body, headers);
  const parsed = await jsonOf(res);
  if (!res.ok || parsed?.error) throw failure(res, parsed, path);
  return { data: parsed?.data as T, meta: parsed?.meta ?? {}, requestId: parsed?.request_id ?? res.headers.get('x-request-id'), etag: res.headers.get('etag') };
}

/** An answer that is not the JSON envelope (an event stream, a CSV file): the Response, or the API's error. */
export async function fetchBody(path: string, accept: string, signal?: AbortSignal): Promise<Response> {
  const res = await send('GET', path, undefined, { accept }, signal);
  if (!res.ok) throw failure(res, await jsonOf(res), path);
  return res;
}

/**
 * Saves what `path` answers as a file. A plain link cannot carry the Authorization header, so the
 * file is fetched with the token and handed to the browser as a Blob.
 */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await fetchBody(path, '*/*')).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const get = <T>(path: string) => call<T>('GET', path);

/** A query string from the defined values of `params`. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
