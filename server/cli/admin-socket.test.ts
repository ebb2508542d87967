/** The admin socket's own edges, on a real Unix socket: what the CLI sends, strays, stale files. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sendToAdminSocket, serveAdminSocket, type AdminSocket } from './admin-socket.js';

let dir: string;
let served: AdminSocket | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
  rmSync(dir, { recursive: true, force: true });
});

const echo = async (req: { argv: string[]; stdin?: string }) => ({ code: req.argv.length, out: req.argv, err: req.stdin ? [req.stdin] : [] });

describe('admin socket', () => {
  it('answers a command with its exit code and output, and is 0600', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aw-sock-'));
    const path = join(dir, 'admin.sock');
    served = await serveAdminSocket(path, echo);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await sendToAdminSocket(path, { argv: ['user', 'list'], stdin: 'pw' })).toEqual({ code: 2, out: ['user', 'list'], err: ['pw'] });
  });

  it('is not there for the CLI when no file or only a stale one exists, and a new server replaces a stale file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aw-sock-'));
    const path = join(dir, 'admin.sock');
    expect(await sendToAdminSocket(path, { argv: ['x'] })).toBeNull();
    // The socket file of a server that was killed: it stays, and connections to it are refused.
    const crashed = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
    await new Promise((r) => crashed.stdout.once('data', r));
    crashed.kill('SIGKILL');
    await new Promise((r) => crashed.once('exit', r));
    expect(statSync(path).isSocket()).toBe(true);
    expect(await sendToAdminSocket(path, { argv: ['x'] })).toBeNull();
    served = await serveAdminSocket(path, echo);
    expect((await sendToAdminSocket(path, { argv: ['x'] }))?.code).toBe(1);
  });

  it('leaves a socket another live server answers alone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aw-sock-'));
    const path = join(dir, 'admin.sock');
    served = await serveAdminSocket(path, echo);
    expect(await serveAdminSocket(path, async () => ({ code: 9, out: [], err: [] }))).toBeNull();
    expect((await sendToAdminSocket(path, { argv: ['a', 'b', 'c'] }))?.code).toBe(3);
  });

  it('refuses requests that are not a command line, and a silent connection does not hold close() up', async () => {
    dir = mkdtempSync(join(tmpdir(), 'aw-sock-'));
    const path = join(dir, 'admin.sock');
    served = await serveAdminSocket(path, echo);
    const raw = (payload: string) =>
      new Promise<string>((resolve) => {
        let got = '';
        const s = connect(path, () => s.write(payload));
        s.on('data', (d) => (got += d));
        s.on('close', () => resolve(got));
        s.on('error', () => undefined);
      });
    expect(JSON.parse(await raw('{"argv":[1,2]}\n'))).toMatchObject({ code: 1, err: ['admin socket: argv must be a list of strings'] });
    expect(JSON.parse(await raw('not json\n')).code).toBe(1);
    expect(JSON.parse(await raw('x'.repeat(70 * 1024))).err).toEqual(['admin socket: message too long']);
    const silent = connect(path);
    silent.on('error', () => undefined);
    await new Promise((r) => silent.once('connect', r));
    const started = Date.now();
    await served!.close();
    served = null;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
