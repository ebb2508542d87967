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
}

export async function call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach the server (${(err as Error).message})`, null);
  }
  const requestId = res.headers.get('x-request-id');
  let parsed: any = null;
  try {
    parsed = await res.json();
  } catch {
    // a proxy's HTML error page, or an empty body
  }
  if (!res.ok || parsed?.error) {
    const e = parsed?.error;
    const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText ?? 'request failed', parsed?.request_id ?? requestId, e?.details);
    // A session that ended (expired, logged out elsewhere, user disabled) sends the person to log in.
    if (res.status === 401 && token && !path.startsWith('/api/v1/sessions')) session.set(null);
    throw err;
  }
  return { data: parsed?.data as T, meta: parsed?.meta ?? {}, requestId: parsed?.request_id ?? requestId };
}

export const get = <T>(path: string) => call<T>('GET', path);

/** A query string from the defined values of `params`. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
