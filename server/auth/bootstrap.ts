/**
 * First start: with no admin there is nobody to make one, so the server makes user "admin" (no
 * password) and a one-time login link it prints. Until an admin has logged in, each start prints
 * a fresh link (a lost terminal does not lock anyone out); after that, nothing happens here.
 */
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { SessionStore } from './sessions.js';

export interface FirstLogin {
  username: string;
  token: string;
  expiresAt: Date;
}

const BOOTSTRAP_LOCK = 0x4157_0010;

export async function bootstrapFirstAdmin(db: Db, opts: { oneTimeLoginTtlS: number }, log: Logger): Promise<FirstLogin | null> {
  // Nodes starting together take turns, so only one of them makes the admin.
  const admin = await db.tx(async (q) => {
    if (db.kind === 'postgres') await q.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    const { rows } = await q.query<{ id: string; username: string; set_up: boolean }>(
      `SELECT id, username, (password_hash IS NOT NULL OR last_login_at IS NOT NULL) AS set_up
         FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY created_at, id`,
    );
    if (rows.some((r) => r.set_up)) return null;
    if (rows[0]) return rows[0];
    const { rows: made } = await q.query<{ id: string; username: string }>(
      `INSERT INTO users (id, username, display_name, role, created_by) VALUES (gen_random_uuid(), 'admin', 'Administrator', 'admin', 'bootstrap')
       ON CONFLICT (username) DO NOTHING RETURNING id, username`,
    );
    return made[0] ?? null;
  });
  if (!admin) return null;
  const link = await new SessionStore(db).createOneTime(admin.id, opts.oneTimeLoginTtlS);
  log.info({ user: admin.username, expires_at: link.expiresAt.toISOString() }, 'no admin has logged in yet: made a one-time login link');
  return { username: admin.username, token: link.token, expiresAt: link.expiresAt };
}

/** Where people open the dashboard: the configured public URL, else http://HOST:PORT/ (a wildcard host as loopback). */
export function dashboardUrl(publicUrl: string | undefined, host: string, port: number): string {
  if (publicUrl) return publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`;
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}

/**
 * The link a person opens: the token rides in the fragment, which browsers never send to servers
 * or proxies, and the dashboard exchanges it at POST /api/v1/sessions/one-time.
 */
export const oneTimeLoginUrl = (base: string, token: string): string => `${base}#/login?one_time=${token}`;
