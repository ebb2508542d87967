/**
 * Users: people who log in to the dashboard or own API keys. A role (viewer, operator, admin)
 * gives their scopes (scopes.ts). There is always at least one enabled admin: the last one cannot
 * be demoted, disabled or deleted.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { keyOrder, keyset, text, timestamp, uuid, type Page } from '../keyset.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
import { ROLE_SCOPES, type Role } from './scopes.js';

/** The orders users can be listed in (keyset pages). */
export const USER_ORDER = keyOrder({ sorts: { username: text('username'), created_at: timestamp('created_at') }, defaultSort: 'username', id: uuid('id') });

export const ROLES = Object.keys(ROLE_SCOPES) as Role[];
export const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/** A user as COLUMNS reads it (never the password hash). */
interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  disabled_at: Date | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  last_login_at: Date | null;
  version: number;
  has_password: boolean;
}

export type UserRecord = RecordOf<UserRow>;

const COLUMNS = `id, username, display_name, role, disabled_at, created_at, created_by, updated_at, last_login_at, version,
  password_hash IS NOT NULL AS has_password`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const userNotFound = () => new AppError('USER_NOT_FOUND', 'not_found', 'user not found');

export interface UserPatch {
  displayName?: string;
  role?: Role;
  disabled?: boolean;
}

export class UserDirectory {
  constructor(private readonly db: Db) {}

  async create(input: { username: string; role: Role; displayName?: string; password?: string; createdBy: string }): Promise<UserRecord> {
    const username = input.username.toLowerCase();
    if (!USERNAME.test(username)) {
      throw new AppError('VALIDATION_FAILED', 'invalid', 'body.username must be 2-64 of a-z 0-9 . _ - and start with a letter or digit', {
        field: 'body.username',
      });
    }
    if (input.password !== undefined) checkPasswordPolicy(input.password);
    const hash = input.password === undefined ? null : await hashPassword(input.password);
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (id, username, display_name, role, password_hash, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
      [randomUUID(), username, input.displayName ?? '', input.role, hash, input.createdBy],
    );
    if (!rows[0]) throw new AppError('USERNAME_TAKEN', 'conflict', `a user named "${username}" exists already`, { field: 'body.username' });
    return recordOf(rows[0]);
  }

  async get(id: string, q: Queryable = this.db): Promise<UserRecord> {
    if (!UUID.test(id)) throw userNotFound();
    const { rows } = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    if (!rows[0]) throw userNotFound();
    return recordOf(rows[0]);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username.toLowerCase()]);
    return rows[0] ? recordOf(rows[0]) : null;
  }

  async list(page: Page, filter: { role?: Role; disabled?: boolean }): Promise<{ rows: UserRecord[]; total: number }> {
    const params: unknown[] = [filter.role ?? null, filter.disabled ?? null];
    const where = `($1::text IS NULL OR role = $1) AND ($2::boolean IS NULL OR (disabled_at IS NOT NULL) = $2)`;
    const total = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE ${where}`, params);
    const ks = keyset(page, params);
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE ${where} AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return { rows: recordsOf(rows), total: total.rows[0].n };
  }

  /** Applies a change if the user is still at `version`; 412 otherwise. Keeps one enabled admin. */
  async update(id: string, version: number, patch: UserPatch): Promise<UserRecord> {
    return this.db.tx(async (q) => {
      const current = await this.get(id, q);
      const losesAdmin = current.role === 'admin' && !current.disabledAt && ((patch.role && patch.role !== 'admin') || patch.disabled === true);
      if (losesAdmin) await assertAnotherAdmin(q, id);
      const { rows } = await q.query<UserRow>(
        `UPDATE users SET
           display_name = COALESCE($3, display_name),
           role = COALESCE($4, role),
           disabled_at = CASE WHEN $5::boolean IS NULL THEN disabled_at WHEN $5 THEN COALESCE(disabled_at, now()) ELSE NULL END,
           updated_at = now(), version = version + 1
         WHERE id = $1 AND version = $2 RETURNING ${COLUMNS}`,
        [id, version, patch.displayName ?? null, patch.role ?? null, patch.disabled ?? null],
      );
      if (!rows[0])
        throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the user changed since you read it: read it again', {
          current_etag: `"${current.version}"`,
        });
      // A disabled user's sessions end now rather than at their expiry.
      if (patch.disabled) await q.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id]);
      return recordOf(rows[0]);
    });
  }

  /** Sets a new password and ends the user's other sessions (`keepSession` stays). */
  async setPassword(id: string, password: string, keepSession?: string, field = 'body.password'): Promise<UserRecord> {
    checkPasswordPolicy(password, field);
    const hash = await hashPassword(password);
    return this.db.tx(async (q) => {
      const { rows } = await q.query<UserRow>(
        `UPDATE users SET password_hash = $2, updated_at = now(), version = version + 1 WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, hash],
      );
      if (!rows[0]) throw userNotFound();
      await q.query(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR id <> $2)`, [
        id,
        keepSession ?? null,
      ]);
      return recordOf(rows[0]);
    });
  }

  async delete(id: string, version: number): Promise<UserRecord> {
    return this.db.tx(async (q) => {
      const current = await this.get(id, q);
      if (current.role === 'admin' && !current.disabledAt) await assertAnotherAdmin(q, id);
      const { rowCount } = await q.query('DELETE FROM users WHERE id = $1 AND version = $2', [id, version]);
      if (!rowCount)
        throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the user changed since you read it: read it again', {
          current_etag: `"${current.version}"`,
        });
      return current;
    });
  }

  /** The user when `password` is theirs and they may log in; null otherwise (same time either way). */
  async verifyLogin(username: string, password: string): Promise<UserRecord | null> {
    const { rows } = await this.db.query<UserRow & { password_hash: string | null }>(`SELECT ${COLUMNS}, password_hash FROM users WHERE username = $1`, [
      username.toLowerCase(),
    ]);
    const row = rows[0];
    const ok = await verifyPassword(password, row?.password_hash ?? null);
    if (!ok || !row || row.disabled_at) return null;
    const { password_hash: _, ...user } = row;
    return recordOf(user);
  }

  async recordLogin(id: string): Promise<void> {
    await this.db.query('UPDATE users SET last_login_at = now() WHERE id = $1', [id]);
  }
}

async function assertAnotherAdmin(q: Queryable, except: string): Promise<void> {
  // Locking every enabled admin row makes two admins demoting each other take turns.
  const { rows } = await q.query<{ id: string }>("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL FOR UPDATE");
  if (!rows.some((r) => r.id !== except)) {
    throw new AppError('LAST_ADMIN', 'conflict', 'this is the last enabled admin: make another admin first');
  }
}
