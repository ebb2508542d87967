/**
 * The server the fuzz test attacks, in a process of its own so that a crash is an exit the test
 * sees. A real server (test database, Redis when REDIS_URL is set, JSON logs on stdout) plus three
 * routes only this process has: two that throw on purpose (the 5xx the fuzz provokes) and one that
 * tells how many requests are still in flight. Prints one line {"fuzz_ready": ...} once it serves:
 * the port and credentials of each kind. SIGTERM stops it gracefully (exit 0).
 */
import { Type } from '@sinclair/typebox';
import { ApiKeyStore } from '../../server/auth/api-keys.js';
import { route } from '../../server/http/route.js';
import { startApiServer } from './api-client.js';

const t = await startApiServer({ LOG_LEVEL: 'info' });
const { router } = t.server;
router.add(
  route({
    method: 'GET',
    path: '/api/v1/fuzz/boom',
    summary: 'Throws synchronously (fuzz test only)',
    tag: 'test',
    scope: 'public',
    response: Type.Null(),
    handler: () => {
      throw new TypeError('thrown on purpose by the fuzz test');
    },
  }),
  route({
    method: 'POST',
    path: '/api/v1/fuzz/boom',
    summary: 'Rejects after an await (fuzz test only)',
    tag: 'test',
    scope: 'public',
    body: Type.Object({}, { additionalProperties: true }),
    response: Type.Null(),
    handler: async (ctx) => {
      await new Promise((r) => setImmediate(r));
      return (ctx.body as any).missing.property;
    },
  }),
  route({
    method: 'GET',
    path: '/api/v1/fuzz/in-flight',
    summary: 'Requests in flight other than this one (fuzz test only)',
    tag: 'test',
    scope: 'public',
    response: Type.Object({ in_flight: Type.Integer() }),
    handler: () => ({ inFlight: router.inFlight - 1 }),
  }),
);

const operator = await t.userSession('operator');
const viewer = await t.userSession('viewer');
const { key, secret } = await new ApiKeyStore(t.server.deps.db).create({
  name: 'fuzz',
  scopes: ['agents:read', 'agents:write', 'account'],
  ownerId: null,
  expiresAt: null,
  createdBy: 'fuzz',
});

process.stdout.write(
  JSON.stringify({
    fuzz_ready: {
      port: t.server.port,
      admin: t.admin.token,
      operator: operator.token,
      viewer: viewer.token,
      api_key: `${key.id}.${secret}`,
      key_id: key.id,
      key_secret: secret,
    },
  }) + '\n',
);

process.on('SIGTERM', () => {
  t.close().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`stop failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
});
