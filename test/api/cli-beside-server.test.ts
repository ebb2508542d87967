/**
 * The `autowatch` CLI while a server runs on the same DATA_DIR with the embedded database (PGlite,
 * which one process opens at a time): the command goes to the server's admin socket and runs there.
 * The server and the CLI are real processes, as with `make run` and `npx autowatch` beside it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/server.js';
import { until } from '../support/until.js';

/** The CLI as `npx autowatch` runs it (bin.js, through tsx in a checkout without dist/). */
function cli(env: Record<string, string>, argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['server/cli/bin.js', ...argv], { env: { ...process.env, ...env } }, (error, out, err) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
    child.stdin!.end(stdin);
  });
}

describe('the CLI beside a running server on the embedded database', () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess;
  let env: Record<string, string>;
  const base = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aw-cli-'));
    port = await freePort();
    // PORT differs from the CLI's default (8080): the link must carry the port the server runs on.
    const serverEnv = {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      REDIS_URL: '',
      AW_BOOTSTRAP_ADMIN: 'false',
    };
    server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...process.env, ...serverEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
    env = { DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' };
    await until('the server answers', async () => (await fetch(`${base()}/api/v1/health`).catch(() => null))?.ok === true, 170_000);
  }, 180_000);
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('listens on DATA_DIR/admin.sock, readable and writable by its owner only', () => {
    const st = statSync(join(dataDir, 'admin.sock'));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('makes a user the server then logs in, with the password read from the CLI stdin', async () => {
    const made = await cli(env, ['user', 'create', '--username', 'carol', '--role', 'operator', '--password-stdin', '--json'], 'a long enough password\n');
    expect(made.code, made.err).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({ user: { username: 'carol', role: 'operator' }, one_time_login: null });
    const login = await fetch(`${base()}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'carol', password: 'a long enough password' }),
    });
    expect(login.status).toBe(201);
    expect(((await login.json()) as any).data.user.role).toBe('operator');
  }, 60_000);

  it('prints a one-time link with the address the server runs on, which the server redeems', async () => {
    const made = await cli(env, ['admin', 'create', '--username', 'dave']);
    expect(made.code, made.err).toBe(0);
    const url = /(http:\/\/\S+)#\/login\?one_time=(awo_\S+)/.exec(made.out);
    expect(url, made.out).not.toBeNull();
    expect(url![1]).toBe(`${base()}/`);
    const session = await fetch(`${base()}/api/v1/sessions/one-time`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: url![2] }),
    });
    expect(session.status).toBe(201);
    expect(((await session.json()) as any).data.user).toMatchObject({ username: 'dave', role: 'admin' });
  }, 60_000);

  it('answers refusals with their exit codes through the socket', async () => {
    const dup = await cli(env, ['user', 'create', '--username', 'carol', '--role', 'viewer']);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/^USERNAME_TAKEN/);
    const usage = await cli(env, ['user', 'create', '--username', 'x1', '--role', 'root']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--role must be one of');
  }, 60_000);

  it('works on the database itself once the server has stopped, and the socket is gone', async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    expect(() => statSync(join(dataDir, 'admin.sock'))).toThrow();
    const list = await cli(env, ['user', 'list', '--json']);
    expect(list.code, list.err).toBe(0);
    expect(
      JSON.parse(list.out)
        .map((u: any) => u.username)
        .sort(),
    ).toEqual(['carol', 'dave']);
  }, 120_000);
});
