/**
 * Dashboard sessions and one-time login links. A session token is a bearer secret the dashboard
 * sends as `Authorization: Bearer aws_...` (no cookie, so no cross-site request forgery); it ends
 * at its expiry, at logout, at a password change and when its user is disabled. A one-time link
 * (awo_...) makes exactly one session, before its expiry: how the first admin and new users
 * without a password get in.
 */
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import { recordOf, type RecordOf } from '../store/rows.js';
import { newId, newToken, ONE_TIME_PREFIX, SESSION_PREFIX, sha256 } from './tokens.js';
import type { Role } from './scopes.js';

export interface IssuedToken {
  id: string;
  token: string;
  expiresAt: Date;
}

/** A session with its user, as `resolve` reads them. */
interface SessionRow {
  session_id: string;
  user_id: string;
  username: string;
  role: Role;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  disabled_at: Date | null;
}

export type ResolvedSession = RecordOf<SessionRow>;

export class SessionStore {
  constructor(private readonly db: Db) {}

  async create(userId: string, ttlS: number, remoteAddress = ''): Promise<IssuedToken> {
    const token = newToken(SESSION_PREFIX);
    const id = newId('ses_');
    const expiresAt = new Date(Date.now() + ttlS * 1000);
    await this.db.query(`INSERT INTO sessions (id, token_hash, kind, user_id, expires_at, remote_address) VALUES ($1, $2, 'session', $3, $4, $5)`, [
      id,
      sha256(token),
      userId,
      expiresAt,
      remoteAddress,
    ]);
    // Housekeeping where it costs nothing noticeable: logins are rare.
    await this.db.query("DELETE FROM sessions WHERE expires_at < now() - interval '7 days'");
    return { id, token, expiresAt };
  }

  /** A one-time login link token for the user; earlier unused links of that user stop working. */
  async createOneTime(userId: string, ttlS: number): Promise<IssuedToken> {
    const token = newToken(ONE_TIME_PREFIX);
    const id = newId('otl_');
    const expiresAt = new Date(Date.now() + ttlS * 1000);
    await this.db.tx(async (q) => {
      await q.query("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND kind = 'one_time' AND used_at IS NULL AND revoked_at IS NULL", [userId]);
      await q.query(`INSERT INTO sessions (id, token_hash, kind, user_id, expires_at) VALUES ($1, $2, 'one_time', $3, $4)`, [
        id,
        sha256(token),
        userId,
        expiresAt,
      ]);
    });
    return { id, token, expiresAt };
  }

  /** Uses a one-time token up; the user id it was for. 401 ONE_TIME_TOKEN_INVALID when unknown, used, expired or revoked. */
  async redeemOneTime(token: string): Promise<string> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `UPDATE sessions SET used_at = now()
        WHERE token_hash = $1 AND kind = 'one_time' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING user_id`,
      [sha256(token)],
    );
    if (!rows[0])
      throw new AppError(
        'ONE_TIME_TOKEN_INVALID',
        'unauthenticated',
        'this login link is unknown, used, expired or replaced by a newer one; ask an admin for a new one',
      );
    return rows[0].user_id;
  }

  /** Who a session token belongs to; 401 SESSION_INVALID / SESSION_EXPIRED / USER_DISABLED otherwise. */
  async resolve(token: string): Promise<ResolvedSession> {
    const { rows } = await this.db.query<SessionRow>(
      `SELECT s.id AS session_id, s.user_id, u.username, u.role, s.expires_at, s.last_used_at, s.revoked_at, u.disabled_at
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.kind = 'session'`,
      [sha256(token)],
    );
    const s = rows[0] && recordOf(rows[0]);
    if (!s || s.revokedAt) throw unauthenticated('SESSION_INVALID', 'session token is unknown or ended; log in again');
    if (s.expiresAt.getTime() <= Date.now()) throw unauthenticated('SESSION_EXPIRED', 'session expired; log in again');
    if (s.disabledAt) throw unauthenticated('USER_DISABLED', 'this user is disabled');
    return s;
  }

  async touch(sessionId: string): Promise<void> {
    await this.db.query('UPDATE sessions SET last_used_at = now() WHERE id = $1', [sessionId]);
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
  }
}

export function unauthenticated(code: string, message: string, details?: Record<string, unknown>): AppError {
  return new AppError(code, 'unauthenticated', message, details, { challenge: 'bearer' });
}
