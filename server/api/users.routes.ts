/** Users (admins only): the collection, members with ETag / If-Match, passwords and login links. */
import { Type } from '@sinclair/typebox';
import { dashboardUrl, oneTimeLoginUrl } from '../auth/bootstrap.js';
import { ROLES, USER_ORDER, type UserRecord } from '../auth/users.js';
import { AppError } from '../errors.js';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { collection, finishPage } from '../http/pagination.js';
import { route } from '../http/route.js';
import type { ApiDeps } from './deps.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const User = Type.Object({
  id: Uuid,
  username: Type.String(),
  display_name: Type.String(),
  role: Role,
  disabled: Type.Boolean(),
  has_password: Type.Boolean(),
  created_at: Timestamp,
  created_by: Type.String(),
  updated_at: Timestamp,
  last_login_at: Nullable(Timestamp),
  version: Type.Integer({ description: 'the ETag: send it back in If-Match to change the user' }),
});

export const OneTimeLogin = Type.Object({
  token: Type.String(),
  url: Type.String({ description: 'open it once to log in; the token rides in the fragment' }),
  expires_at: Timestamp,
});

/** A user as the API shows them: whether disabled, rather than since when. */
export function userAnswer(u: UserRecord) {
  const { disabledAt, ...user } = u;
  return { ...user, disabled: disabledAt !== null };
}

const Username = Type.String({ minLength: 2, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'stored in lower case' });
const Password = Type.String({ minLength: 1, maxLength: 256, description: 'at least 10 characters' });

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/;

const users = collection(USER_ORDER);

export function userRoutes(deps: ApiDeps) {
  const { users: directory, sessions } = deps;
  const actor = (ctx: { principal: { kind: string; id: string } | null }) => `${ctx.principal!.kind}:${ctx.principal!.id}`;
  // The link points where the admin reached this server, unless a public URL is configured.
  const loginLink = async (userId: string, host: string | undefined) => {
    const link = await sessions.createOneTime(userId, deps.config.api.oneTimeLoginTtlS);
    const base =
      deps.config.api.publicUrl || !host || !HOST.test(host) ? dashboardUrl(deps.config.api.publicUrl, deps.config.host, deps.config.port) : `http://${host}/`;
    return { token: link.token, url: oneTimeLoginUrl(base, link.token), expiresAt: link.expiresAt };
  };

  return [
    route({
      method: 'GET',
      path: '/api/v1/users',
      summary: 'List users',
      tag: 'users',
      scope: 'admin',
      query: Type.Object({ ...users.query, role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()) }),
      response: Type.Array(User),
      handler: async (ctx) => {
        const page = users.read(ctx.query);
        const { rows, total } = await directory.list(page, { role: ctx.query.role, disabled: ctx.query.disabled });
        return finishPage(ctx, rows, page, (u) => [page.sort.endsWith('created_at') ? u.createdAt : u.username, u.id], total).map(userAnswer);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/users',
      summary: 'Make a user; without a password the answer carries a one-time login link to hand over',
      tag: 'users',
      scope: 'admin',
      status: 201,
      body: Type.Object({
        username: Username,
        role: Role,
        display_name: Type.Optional(Type.String({ maxLength: 200 })),
        password: Type.Optional(Password),
      }),
      response: Type.Object({ user: User, one_time_login: Nullable(OneTimeLogin) }),
      handler: async (ctx) => {
        ctx.audit({ username: ctx.body.username.toLowerCase(), role: ctx.body.role });
        const user = await directory.create({
          username: ctx.body.username,
          role: ctx.body.role,
          displayName: ctx.body.display_name,
          password: ctx.body.password,
          createdBy: actor(ctx),
        });
        ctx.audit({ user_id: user.id });
        ctx.setHeader('Location', `/api/v1/users/${user.id}`);
        setEtag(ctx, user.version);
        return { user: userAnswer(user), oneTimeLogin: user.hasPassword ? null : await loginLink(user.id, ctx.headers.host) };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/users/:id',
      summary: 'One user (its ETag in the ETag header and in version)',
      tag: 'users',
      scope: 'admin',
      params: IdParams,
      response: User,
      handler: async (ctx) => {
        const user = await directory.get(ctx.params.id);
        setEtag(ctx, user.version);
        return userAnswer(user);
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/users/:id',
      summary: 'Change display name, role or disabled; needs If-Match. Disabling ends the user’s sessions',
      tag: 'users',
      scope: 'admin',
      params: IdParams,
      body: Type.Object({
        display_name: Type.Optional(Type.String({ maxLength: 200 })),
        role: Type.Optional(Role),
        disabled: Type.Optional(Type.Boolean()),
      }),
      response: User,
      handler: async (ctx) => {
        const current = await directory.get(ctx.params.id);
        const version = ifMatchVersion(ctx, current.version) as number;
        ctx.audit({ changes: ctx.body });
        const user = await directory.update(ctx.params.id, version, {
          displayName: ctx.body.display_name,
          role: ctx.body.role,
          disabled: ctx.body.disabled,
        });
        setEtag(ctx, user.version);
        return userAnswer(user);
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/users/:id',
      summary: 'Delete a user, their sessions and their API keys; needs If-Match. The last admin stays',
      tag: 'users',
      scope: 'admin',
      params: IdParams,
      response: User,
      handler: async (ctx) => {
        const current = await directory.get(ctx.params.id);
        const version = ifMatchVersion(ctx, current.version) as number;
        ctx.audit({ username: current.username });
        return userAnswer(await directory.delete(ctx.params.id, version));
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/users/:id/password',
      summary: "Set a user's password (an admin reset); ends the user's sessions",
      tag: 'users',
      scope: 'admin',
      params: IdParams,
      body: Type.Object({ password: Password }),
      response: User,
      handler: async (ctx) => {
        const current = await directory.get(ctx.params.id);
        ifMatchVersion(ctx, current.version, { required: false });
        const user = await directory.setPassword(ctx.params.id, ctx.body.password);
        setEtag(ctx, user.version);
        return userAnswer(user);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/users/:id/one-time-login',
      summary: 'Make a one-time login link for a user (lost password); earlier links of theirs stop working',
      tag: 'users',
      scope: 'admin',
      status: 201,
      params: IdParams,
      response: OneTimeLogin,
      handler: async (ctx) => {
        const user = await directory.get(ctx.params.id);
        if (user.disabledAt) throw new AppError('USER_DISABLED', 'conflict', 'enable the user first');
        return loginLink(user.id, ctx.headers.host);
      },
    }),
  ];
}
