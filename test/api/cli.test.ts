/**
 * The `autowatch` admin CLI on the server's store: it makes the first admin (with a password read
 * from stdin, or a one-time link), users, API keys and enrollment tokens that the running server then
 * accepts, and audits what it did. The bin itself runs as a child process (usage, exit codes).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli/autowatch.js';
import { startApiServer, type ApiServer } from './api-client.js';

describe('autowatch CLI', () => {
  let t: ApiServer;
  // Starting a server (migrations) can take over a minute on a loaded 2-core machine.
  beforeAll(async () => {
    t = await startApiServer();
  }, 180_000);
  afterAll(() => t?.close());

  const cli = async (argv: string[], stdin = '') => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      env: { DATA_DIR: t.dataDir },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      readStdin: async () => stdin,
      db: t.server.deps.db,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('makes an admin whose password (from stdin) logs in to the server', async () => {
    const made = await cli(['admin', 'create', '--username', 'alice', '--password-stdin', '--json'], 'a long enough password\n');
    expect(made.code, made.err).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({ user: { username: 'alice', role: 'admin' }, one_time_login: null });
    const login = await t.call('POST', '/api/v1/sessions', { body: { username: 'alice', password: 'a long enough password' } });
    expect(login.status, JSON.stringify(login.body)).toBe(201);
    expect(login.body.data.user.role).toBe('admin');
  });

  it('makes a user without a password: a one-time login link the server redeems', async () => {
    const made = await cli(['user', 'create', '--username', 'bob', '--role', 'operator']);
    expect(made.code, made.err).toBe(0);
    const url = /(http:\/\/\S+#\/login\?one_time=(awo_\S+))/.exec(made.out);
    expect(url, made.out).not.toBeNull();
    const session = await t.call('POST', '/api/v1/sessions/one-time', { body: { token: url![2] } });
    expect(session.status).toBe(201);
    expect(session.body.data.user).toMatchObject({ username: 'bob', role: 'operator' });
  });

  it('makes API keys and enrollment tokens the server accepts, revokes keys, and audits each change', async () => {
    const key = JSON.parse((await cli(['apikey', 'create', '--name', 'ci', '--scopes', 'agents:read,metrics:read', '--expires-in', '90d', '--json'])).out);
    expect(key.bearer).toMatch(/^awk_[0-9a-f]{16}\./);
    const auth = { authorization: `Bearer ${key.bearer}` };
    expect((await t.call('GET', '/api/v1/agents', { headers: auth })).status).toBe(200);
    expect((await t.call('GET', '/api/v1/users', { headers: auth })).status).toBe(403);
    expect((await cli(['apikey', 'revoke', key.id])).code).toBe(0);
    expect((await t.call('GET', '/api/v1/agents', { headers: auth })).body.error?.code).toBe('API_KEY_REVOKED');

    const token = JSON.parse((await cli(['token', 'create', '--uses', '2', '--ttl', '1h', '--json'])).out);
    expect(token.uses).toBe(2);
    const enroll = await t.call('POST', '/api/v1/agents/enroll', {
      body: { token: token.token, public_key: Buffer.alloc(32, 7).toString('base64'), hostname: 'from-cli-token' },
    });
    expect(enroll.status, JSON.stringify(enroll.body)).toBe(201);

    const audit = (await t.call('GET', '/api/v1/audit?actor_kind=system&limit=50', { headers: t.admin.auth })).body.data.map((r: any) => r.path);
    for (const what of ['autowatch admin create', 'autowatch user create', 'autowatch apikey create', 'autowatch apikey revoke', 'autowatch token create']) {
      expect(audit).toContain(what);
    }
  });

  it('refuses bad usage with exit code 2 and a refused change with 1, saying why', async () => {
    const role = await cli(['user', 'create', '--username', 'x1', '--role', 'root']);
    expect(role.code).toBe(2);
    expect(role.err).toContain('--role must be one of');
    const scope = await cli(['apikey', 'create', '--name', 'x', '--scopes', 'everything']);
    expect(scope.code).toBe(1);
    expect(scope.err).toMatch(/^SCOPE_UNKNOWN/);
    const dup = await cli(['user', 'create', '--username', 'alice', '--role', 'viewer']);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/^USERNAME_TAKEN/);
  });

  it('runs as the package bin (`npx autowatch`)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['server/cli/bin.js', '--help']);
    expect(stdout).toContain('autowatch admin create');
    const bad = await promisify(execFile)(process.execPath, ['server/cli/bin.js', 'user', 'create', '--nope']).catch((e) => e);
    expect(bad.code).toBe(2);
  });
});
