/**
 * API keys, for other systems. A key has a public id (awk_...), a secret shown once at creation,
 * scopes, an optional expiry and an optional owner. A key acting for a user holds its scopes only
 * while that user's role does: demote the user and the key shrinks with them; disable or delete
 * the user and the key stops. A key without an owner (made with the CLI) holds exactly its scopes.
 */
import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { keyOrder, keyset, text, timestamp, type Page } from '../keyset.js';
import { ROLE_SCOPES, SCOPES, type Role } from './scopes.js';
import { unauthenticated } from './sessions.js';
import { deriveSigningKey } from './signing.js';
import { KEY_ID, newApiKeyId, newApiKeySecret, sha256 } from './tokens.js';

/** The orders the keys list can be listed in (keyset pages). */
export const API_KEY_ORDER = keyOrder({ sorts: { created_at: timestamp('k.created_at'), name: text('k.name') }, defaultSort: '-created_at', id: text('k.id') });

/** A key as COLUMNS reads it (never its secret). */
interface ApiKeyRow {
  id: string;
  name: string;
  owner_id: string | null;
  owner_username: string | null;
  scopes: string[];
  require_signature: boolean;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_from: string | null;
  revoked_at: Date | null;
  version: number;
}

export type ApiKeyRecord = RecordOf<ApiKeyRow>;

interface CredentialsRow extends ApiKeyRow {
  secret_hash: Uint8Array;
  signing_key: Uint8Array;
  owner_role: Role | null;
  owner_disabled: boolean | null;
}

/** What the guard needs to admit a call made with a key. */
export interface KeyCredentials extends ApiKeyRecord {
  secretHash: Buffer;
  signingKey: Buffer;
  ownerRole: Role | null;
  ownerDisabled: boolean;
}

const COLUMNS = `k.id, k.name, k.owner_id, u.username AS owner_username, k.scopes, k.require_signature, k.created_at, k.created_by,
  k.expires_at, k.last_used_at, k.last_used_from, k.revoked_at, k.version`;
const FROM = 'api_keys k LEFT JOIN users u ON u.id = k.owner_id';

export const keyNotFound = () => new AppError('API_KEY_NOT_FOUND', 'not_found', 'API key not found');

/** The scopes a key holds now: its own, cut down to what its owner's role holds. */
export function effectiveKeyScopes(keyScopes: readonly string[], ownerRole: Role | null): Set<string> {
  if (!ownerRole) return new Set(keyScopes);
  const role = ROLE_SCOPES[ownerRole];
  return new Set(keyScopes.filter((s) => role.has('admin') || role.has(s)));
}

/** 400 unless every scope is known and `holder` (the scopes of whoever makes the key) holds it. */
export function checkGrantable(scopes: readonly string[], holder: ReadonlySet<string>, field = 'body.scopes'): void {
  for (const s of scopes) {
    if (!(s in SCOPES)) throw new AppError('SCOPE_UNKNOWN', 'invalid', `${field}: "${s}" is not a scope; see GET /api/v1/scopes`, { field, scope: s });
    if (!holder.has('admin') && !holder.has(s)) {
      throw new AppError('SCOPE_NOT_HELD', 'forbidden', `${field}: you cannot grant "${s}", which you do not hold`, { field, scope: s });
    }
  }
}

export class ApiKeyStore {
  constructor(private readonly db: Db) {}

  async create(input: {
    name: string;
    scopes: string[];
    ownerId: string | null;
    expiresAt: Date | null;
    requireSignature?: boolean;
    createdBy: string;
  }): Promise<{ key: ApiKeyRecord; secret: string }> {
    const id = newApiKeyId();
    const secret = newApiKeySecret();
    await this.db.query(
      `INSERT INTO api_keys (id, name, owner_id, scopes, secret_hash, signing_key, require_signature, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        id,
        input.name,
        input.ownerId,
        [...new Set(input.scopes)],
        sha256(secret),
        deriveSigningKey(secret),
        input.requireSignature ?? false,
        input.createdBy,
        input.expiresAt,
      ],
    );
    return { key: await this.get(id), secret };
  }

  async get(id: string): Promise<ApiKeyRecord> {
    if (!KEY_ID.test(id)) throw keyNotFound();
    const { rows } = await this.db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE k.id = $1`, [id]);
    if (!rows[0]) throw keyNotFound();
    return recordOf(rows[0]);
  }

  async list(page: Page, filter: { ownerId?: string; revoked?: boolean }): Promise<{ rows: ApiKeyRecord[]; total: number }> {
    const params: unknown[] = [filter.ownerId ?? null, filter.revoked ?? null];
    const where = `($1::uuid IS NULL OR k.owner_id = $1) AND ($2::boolean IS NULL OR (k.revoked_at IS NOT NULL) = $2)`;
    const total = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys k WHERE ${where}`, params);
    const ks = keyset(page, params);
    const { rows } = await this.db.query<ApiKeyRow>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE ${where} AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return { rows: recordsOf(rows), total: total.rows[0].n };
  }

  async update(
    id: string,
    version: number,
    patch: { name?: string; scopes?: string[]; expiresAt?: Date | null; requireSignature?: boolean },
  ): Promise<ApiKeyRecord> {
    const { rowCount } = await this.db.query(
      `UPDATE api_keys SET
         name = COALESCE($3, name),
         scopes = COALESCE($4, scopes),
         expires_at = CASE WHEN $5::boolean THEN $6 ELSE expires_at END,
         require_signature = COALESCE($7, require_signature),
         version = version + 1
       WHERE id = $1 AND version = $2 AND revoked_at IS NULL`,
      [
        id,
        version,
        patch.name ?? null,
        patch.scopes ? [...new Set(patch.scopes)] : null,
        patch.expiresAt !== undefined,
        patch.expiresAt ?? null,
        patch.requireSignature ?? null,
      ],
    );
    const key = await this.get(id);
    if (!rowCount) {
      if (key.revokedAt) throw new AppError('API_KEY_REVOKED', 'conflict', 'a revoked key cannot change');
      throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the key changed since you read it: read it again', {
        current_etag: `"${key.version}"`,
      });
    }
    return key;
  }

  /** Revokes the key (kept for the record); revoking a revoked key changes nothing. */
  async revoke(id: string, by: string): Promise<ApiKeyRecord> {
    await this.db.query('UPDATE api_keys SET revoked_at = now(), revoked_by = $2, version = version + 1 WHERE id = $1 AND revoked_at IS NULL', [id, by]);
    return this.get(id);
  }

  async credentials(id: string): Promise<KeyCredentials | null> {
    const { rows } = await this.db.query<CredentialsRow>(
      `SELECT ${COLUMNS}, k.secret_hash, k.signing_key, u.role AS owner_role, u.disabled_at IS NOT NULL AS owner_disabled
         FROM ${FROM} WHERE k.id = $1`,
      [id],
    );
    if (!rows[0]) return null;
    const key = recordOf(rows[0]);
    return { ...key, secretHash: Buffer.from(key.secretHash), signingKey: Buffer.from(key.signingKey), ownerDisabled: !!key.ownerDisabled };
  }

  async touch(id: string, from: string): Promise<void> {
    await this.db.query('UPDATE api_keys SET last_used_at = now(), last_used_from = $2 WHERE id = $1', [id, from]);
  }
}

export function secretMatches(key: KeyCredentials, secret: string): boolean {
  return timingSafeEqual(sha256(secret), key.secretHash);
}

/**
 * 401 unless the key may be used now: not revoked, not expired, its owner enabled. Called only
 * once the caller proved they hold the secret, so these answers tell a stranger nothing.
 */
export function checkKeyUsable(key: KeyCredentials, now = Date.now()): void {
  if (key.revokedAt) throw unauthenticated('API_KEY_REVOKED', `API key ${key.id} was revoked`);
  if (key.expiresAt && key.expiresAt.getTime() <= now) {
    throw unauthenticated('API_KEY_EXPIRED', `API key ${key.id} expired at ${key.expiresAt.toISOString()}`, { expired_at: key.expiresAt.toISOString() });
  }
  if (key.ownerDisabled) throw unauthenticated('USER_DISABLED', `the owner of API key ${key.id} is disabled`);
}
