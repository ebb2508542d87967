/** A test server with an admin session, and a small client for its envelope. */
import { SessionStore } from '../../server/auth/sessions.js';
import { UserDirectory } from '../../server/auth/users.js';
import type { Role } from '../../server/auth/scopes.js';
import type { StartOptions } from '../../server/app.js';
import { startTestServer, type TestServer } from '../support/server.js';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: { data: T; error: { code: string; message: string; details?: Record<string, any> } | null; meta?: any; request_id: string };
}

export interface ApiServer extends TestServer {
  admin: { id: string; token: string; auth: Record<string, string> };
  call<T = any>(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; raw?: string | Buffer }): Promise<Answer<T>>;
  /** A user of `role` with a live session, made without the cost of a password. */
  userSession(role: Role, username?: string): Promise<{ id: string; token: string; auth: Record<string, string> }>;
}

/** Rate limits high enough not to get in a test's way unless the test sets its own. */
export const RELAXED = {
  AW_BOOTSTRAP_ADMIN: 'false',
  AW_RATE_ADDRESS_PER_S: '1000000',
  AW_RATE_ADDRESS_BURST: '1000000',
  AW_RATE_CALLER_PER_S: '1000000',
  AW_RATE_CALLER_BURST: '1000000',
};

let counter = 0;

export async function startApiServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<ApiServer> {
  // With REDIS_URL set the server uses Redis as in production (nonce cache).
  const t = await startTestServer({ ...RELAXED, ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}), ...env }, opts);
  const users = new UserDirectory(t.server.deps.db);
  const sessions = new SessionStore(t.server.deps.db);
  const userSession = async (role: Role, username = `${role}-${process.pid}-${++counter}`) => {
    const user = await users.create({ username, role, createdBy: 'test' });
    const s = await sessions.create(user.id, 3600);
    return { id: user.id, token: s.token, auth: { authorization: `Bearer ${s.token}` } };
  };
  const admin = await userSession('admin', 'root');
  const call: ApiServer['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Buffer | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(t.http + path, { method, headers, body });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { data: text, error: null, request_id: res.headers.get('x-request-id') };
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return { ...t, admin, call, userSession };
}
