/**
 * Logging in and out, and the caller's own account. Failed logins are throttled per address and
 * per username (429 LOGIN_THROTTLED with Retry-After); every login, failed or not, is audited with
 * the username tried. A password check takes its token before it runs and gives it back when the
 * password was right: guesses sent in parallel each need a token of their own.
 */
import { Type } from '@sinclair/typebox';
import { RateLimiter, tooManyRequests } from '../auth/rate-limit.js';
import { ROLE_SCOPES, SCOPES } from '../auth/scopes.js';
import { unauthenticated } from '../auth/sessions.js';
import type { UserRecord } from '../auth/users.js';
import { AppError } from '../errors.js';
import { route } from '../http/route.js';
import type { ApiDeps } from './deps.js';
import { Nullable, Timestamp } from './schemas.js';
import { User, userAnswer } from './users.routes.js';

const SessionAnswer = Type.Object({
  token: Type.String({ description: 'send as Authorization: Bearer <token>' }),
  expires_at: Timestamp,
  user: User,
});

export function sessionRoutes(deps: ApiDeps) {
  const { users, sessions } = deps;
  const { api } = deps.config;
  const failures = new RateLimiter(1 / api.loginRefillS, api.loginFailures);

  /** Takes a token from every bucket of `keys`, or none (429) when one is empty. */
  const takeAttempt = (keys: string[]) => {
    const wait = Math.max(...keys.map((k) => failures.peek(k)));
    if (wait) throw tooManyRequests(wait, 'LOGIN_THROTTLED', 'too many failed logins');
    for (const k of keys) failures.take(k);
  };
  const giveBack = (keys: string[]) => {
    for (const k of keys) failures.giveBack(k);
  };
  const startSession = async (user: UserRecord, remote: string) => {
    const s = await sessions.create(user.id, api.sessionTtlS, remote);
    await users.recordLogin(user.id);
    return { token: s.token, expiresAt: s.expiresAt, user: userAnswer(user) };
  };
  const userOf = (ctx: { principal: { kind: string; id: string } | null }) => {
    if (ctx.principal?.kind !== 'user') throw new AppError('USER_SESSION_REQUIRED', 'forbidden', 'only a logged-in user can do this, not an API key');
    return ctx.principal.id;
  };

  return [
    route({
      method: 'POST',
      path: '/api/v1/sessions',
      summary: 'Log in with username and password: a session token for the dashboard',
      tag: 'identity',
      scope: 'public',
      status: 201,
      bodyLimit: 4096,
      body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }),
      response: SessionAnswer,
      handler: async (ctx) => {
        const username = ctx.body.username.toLowerCase();
        ctx.audit({ username });
        const keys = [`addr:${ctx.remoteAddress}`, `user:${username}`];
        takeAttempt(keys);
        const user = await users.verifyLogin(username, ctx.body.password);
        if (!user) throw unauthenticated('LOGIN_FAILED', 'username or password is wrong');
        giveBack(keys);
        ctx.audit({ user_id: user.id });
        return startSession(user, ctx.remoteAddress);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/sessions/one-time',
      summary: 'Exchange a one-time login link token (awo_...) for a session; the link then stops working',
      tag: 'identity',
      scope: 'public',
      status: 201,
      bodyLimit: 4096,
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 128 }) }),
      response: SessionAnswer,
      handler: async (ctx) => {
        const userId = await sessions.redeemOneTime(ctx.body.token);
        const user = await users.get(userId);
        ctx.audit({ username: user.username, user_id: user.id, one_time: true });
        if (user.disabledAt) throw unauthenticated('USER_DISABLED', 'this user is disabled');
        return startSession(user, ctx.remoteAddress);
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/session',
      summary: 'Log out: the session token of this request stops working',
      tag: 'identity',
      scope: 'account',
      response: Type.Object({ ended: Type.Boolean() }),
      handler: async (ctx) => {
        userOf(ctx);
        if (!ctx.principal!.sessionId) throw new AppError('USER_SESSION_REQUIRED', 'forbidden', 'this request was not made with a session token');
        await sessions.revoke(ctx.principal!.sessionId);
        return { ended: true };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/me',
      summary: 'Who is calling: user or API key, role and the scopes held now',
      tag: 'identity',
      scope: 'account',
      response: Type.Object({
        kind: Type.String(),
        id: Type.String(),
        name: Type.String(),
        role: Nullable(Type.String()),
        scopes: Type.Array(Type.String()),
        user: Nullable(User),
      }),
      handler: async (ctx) => {
        const p = ctx.principal!;
        const scopes = p.scopes.has('admin') ? Object.keys(SCOPES) : [...p.scopes].sort();
        return { kind: p.kind, id: p.id, name: p.name, role: p.role ?? null, scopes, user: p.kind === 'user' ? userAnswer(await users.get(p.id)) : null };
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/me/password',
      summary: 'Change your password (current_password needed once one is set); your other sessions end',
      tag: 'identity',
      scope: 'account',
      bodyLimit: 4096,
      body: Type.Object({
        current_password: Type.Optional(Type.String({ maxLength: 256 })),
        new_password: Type.String({ minLength: 1, maxLength: 256 }),
      }),
      response: User,
      handler: async (ctx) => {
        const id = userOf(ctx);
        const user = await users.get(id);
        if (user.hasPassword) {
          const key = `user:${user.username}`;
          takeAttempt([key]);
          const ok = await users.verifyLogin(user.username, ctx.body.current_password ?? '');
          if (!ok) {
            throw new AppError('CURRENT_PASSWORD_WRONG', 'invalid', 'body.current_password is not your current password', { field: 'body.current_password' });
          }
          giveBack([key]);
        }
        return userAnswer(await users.setPassword(id, ctx.body.new_password, ctx.principal!.sessionId, 'body.new_password'));
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/scopes',
      summary: 'Every scope, what it allows, and what each role holds',
      tag: 'identity',
      scope: 'account',
      response: Type.Object({
        scopes: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
        roles: Type.Record(Type.String(), Type.Array(Type.String())),
      }),
      handler: () => ({
        scopes: Object.entries(SCOPES).map(([name, description]) => ({ name, description })),
        roles: Object.fromEntries(Object.entries(ROLE_SCOPES).map(([role, set]) => [role, [...set].sort()])),
      }),
    }),
  ];
}
