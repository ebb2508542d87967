/**
 * API keys. Everyone with `account` manages their own keys; admins see and manage all of them.
 * A key never gets a scope its maker does not hold, and someone else's key answers 404 rather
 * than 403 so its existence is not told.
 */
import { Type } from '@sinclair/typebox';
import { API_KEY_ORDER, checkGrantable, keyNotFound, type ApiKeyRecord } from '../auth/api-keys.js';
import { AppError } from '../errors.js';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { collection, finishPage } from '../http/pagination.js';
import type { Principal } from '../auth/principal.js';
import { route } from '../http/route.js';
import type { ApiDeps } from './deps.js';
import { Nullable, Timestamp, Uuid } from './schemas.js';

const KeyId = Type.String({ pattern: '^awk_[0-9a-f]{16}$', description: 'awk_ and 16 hex digits' });
const KeyParams = Type.Object({ id: KeyId });
const Scopes = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64, uniqueItems: true });

const ApiKey = Type.Object({
  id: KeyId,
  name: Type.String(),
  owner_id: Nullable(Uuid),
  owner_username: Nullable(Type.String()),
  scopes: Type.Array(Type.String()),
  require_signature: Type.Boolean(),
  created_at: Timestamp,
  created_by: Type.String(),
  expires_at: Nullable(Timestamp),
  last_used_at: Nullable(Timestamp),
  last_used_from: Nullable(Type.String()),
  revoked_at: Nullable(Timestamp),
  version: Type.Integer(),
});

const keysCollection = collection(API_KEY_ORDER);

const MAX_TTL_S = 5 * 365 * 86400;

export function apiKeyRoutes(deps: ApiDeps) {
  const { apiKeys: keys, users } = deps;
  const isAdmin = (p: Principal) => p.scopes.has('admin');

  /** The user a caller acts for: themselves, or the owner of the key they call with (null: an unowned key). */
  const ownerOf = async (p: Principal): Promise<string | null> => (p.kind === 'user' ? p.id : p.kind === 'api_key' ? (await keys.get(p.id)).ownerId : null);

  /** The key, if the caller may see it: admins all, others the keys of the user they act for. */
  const visibleKey = async (p: Principal, id: string): Promise<ApiKeyRecord> => {
    const key = await keys.get(id);
    if (!isAdmin(p) && (key.ownerId === null || key.ownerId !== (await ownerOf(p)))) throw keyNotFound();
    return key;
  };

  return [
    route({
      method: 'GET',
      path: '/api/v1/api-keys',
      summary: 'List API keys: your own, or (admins) everyone’s',
      tag: 'api-keys',
      scope: 'account',
      query: Type.Object({ ...keysCollection.query, owner_id: Type.Optional(Uuid), revoked: Type.Optional(Type.Boolean()) }),
      response: Type.Array(ApiKey),
      handler: async (ctx) => {
        const p = ctx.principal!;
        const page = keysCollection.read(ctx.query);
        const owner = isAdmin(p) ? ctx.query.owner_id : await ownerOf(p);
        if (!isAdmin(p) && owner === null) {
          ctx.setMeta({ limit: page.limit, sort: page.sort, next_cursor: null, total: 0 });
          return [];
        }
        const { rows, total } = await keys.list(page, { ownerId: owner ?? undefined, revoked: ctx.query.revoked });
        return finishPage(ctx, rows, page, (k) => [page.sort.endsWith('name') ? k.name : k.createdAt, k.id], total);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/api-keys',
      summary: 'Make an API key; the secret is in this answer only',
      description:
        'Scopes must be ones you hold. Admins may make a key for another user (owner_id). Use the key as ' +
        '`Authorization: Bearer <bearer>` over TLS, or sign requests with it (docs/api.md); require_signature ' +
        'refuses the bearer form so the secret never travels.',
      tag: 'api-keys',
      scope: 'account',
      status: 201,
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100 }),
        scopes: Scopes,
        expires_in_s: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_TTL_S, description: 'no expiry when absent' })),
        owner_id: Type.Optional(Uuid),
        require_signature: Type.Optional(Type.Boolean()),
      }),
      response: Type.Object({
        key: ApiKey,
        secret: Type.String({ description: 'shown once' }),
        bearer: Type.String({ description: 'awk_<id>.<secret>, for Authorization: Bearer' }),
      }),
      handler: async (ctx) => {
        const p = ctx.principal!;
        let ownerId = await ownerOf(p);
        if (ctx.body.owner_id !== undefined && ctx.body.owner_id !== ownerId) {
          if (!isAdmin(p))
            throw new AppError('FORBIDDEN', 'forbidden', 'only admins make keys for other users', { field: 'body.owner_id', needed_scope: 'admin' });
          ownerId = (await users.get(ctx.body.owner_id)).id;
        }
        checkGrantable(ctx.body.scopes, p.scopes);
        const expiresAt = ctx.body.expires_in_s ? new Date(Date.now() + ctx.body.expires_in_s * 1000) : null;
        const { key, secret } = await keys.create({
          name: ctx.body.name,
          scopes: ctx.body.scopes,
          ownerId,
          expiresAt,
          requireSignature: ctx.body.require_signature,
          createdBy: `${p.kind}:${p.id}`,
        });
        ctx.audit({ key_id: key.id, scopes: key.scopes, owner_id: ownerId });
        ctx.setHeader('Location', `/api/v1/api-keys/${key.id}`);
        setEtag(ctx, key.version);
        return { key, secret, bearer: `${key.id}.${secret}` };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/api-keys/:id',
      summary: 'One API key (never its secret)',
      tag: 'api-keys',
      scope: 'account',
      params: KeyParams,
      response: ApiKey,
      handler: async (ctx) => {
        const key = await visibleKey(ctx.principal!, ctx.params.id);
        setEtag(ctx, key.version);
        return key;
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/api-keys/:id',
      summary: 'Rename a key, change its scopes, expiry or require_signature; needs If-Match',
      tag: 'api-keys',
      scope: 'account',
      params: KeyParams,
      body: Type.Object({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        scopes: Type.Optional(Scopes),
        expires_at: Type.Optional(Nullable(Timestamp)),
        require_signature: Type.Optional(Type.Boolean()),
      }),
      response: ApiKey,
      handler: async (ctx) => {
        const p = ctx.principal!;
        const current = await visibleKey(p, ctx.params.id);
        const version = ifMatchVersion(ctx, current.version) as number;
        if (ctx.body.scopes) checkGrantable(ctx.body.scopes, p.scopes);
        ctx.audit({ changes: ctx.body });
        const expiresAt = ctx.body.expires_at === undefined ? undefined : ctx.body.expires_at === null ? null : new Date(ctx.body.expires_at);
        const key = await keys.update(ctx.params.id, version, {
          name: ctx.body.name,
          scopes: ctx.body.scopes,
          expiresAt,
          requireSignature: ctx.body.require_signature,
        });
        setEtag(ctx, key.version);
        return key;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/api-keys/:id',
      summary: 'Revoke a key: refused from now on, kept for the record',
      tag: 'api-keys',
      scope: 'account',
      params: KeyParams,
      response: ApiKey,
      handler: async (ctx) => {
        const p = ctx.principal!;
        const current = await visibleKey(p, ctx.params.id);
        ifMatchVersion(ctx, current.version, { required: false });
        const key = await keys.revoke(ctx.params.id, `${p.kind}:${p.id}`);
        setEtag(ctx, key.version);
        return key;
      },
    }),
  ];
}
