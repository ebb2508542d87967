/**
 * The agent on a fleet, as an operator meets it (docs/agent.md): scripts/install.sh fetched from a
 * running server and run by `sh` into a temporary prefix (--no-service), the bundle it installs run from
 * an empty folder under /tmp (no node_modules above it) with only PATH and HOME set; the agent enrolls,
 * comes online and its metrics arrive; a second install keeps its id; an agent-upgrade task moves it to
 * a bundle of another version and it comes back reporting that version.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnrollmentToken } from '../../server/auth/enrollment.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { buildAgent } from '../../scripts/build-agent.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { until } from '../support/until.js';
import { finishedHosts, runTask } from '../tasks/support.js';

const INSTALL_SCRIPT = join(PROJECT_ROOT, 'scripts', 'install.sh');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

needs('shellcheck').it('scripts/install.sh passes shellcheck', () => {
  expect(() => execFileSync('shellcheck', ['--shell=sh', INSTALL_SCRIPT], { encoding: 'utf8' })).not.toThrow();
});

needs('curl').describe('the agent on a fleet: one-line install, run anywhere, upgrade by task', () => {
  let t: ApiServer;
  let work: string;
  let served: string;
  let token: string;
  // Nothing of this process's environment: the installer and the agent get these two only.
  const env = () => ({ PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: work });
  const prefix = () => join(work, 'opt', 'autowatch-agent');
  const stateDir = () => join(work, 'state');
  let agent: ChildProcess | undefined;
  let agentLog = '';

  /** `curl … /downloads/install.sh | sh -s -- ARGS`, as the docs say; answers the printed command. */
  const install = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const child = spawn('sh', ['-c', `curl -fsSL ${t.http}/downloads/install.sh | sh -s -- ${quoted}`], { cwd: work, env: env() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  /** The printed command, run by `sh` from an empty folder in its own process group (an upgrade re-execs within it). */
  const runAgent = (command: string) => {
    const empty = mkdtempSync(join(work, 'run-'));
    agentLog = '';
    agent = spawn('sh', ['-c', command], { cwd: empty, env: env(), detached: true });
    agent.stdout!.on('data', (d) => (agentLog += d));
    agent.stderr!.on('data', (d) => (agentLog += d));
  };
  const stopAgent = async () => {
    if (!agent?.pid) return;
    try {
      process.kill(-agent.pid, 'SIGTERM');
    } catch {
      return; // the group is gone already
    }
    await until(
      'agent stopped',
      () => {
        try {
          process.kill(-agent!.pid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      10_000,
    );
  };
  const agentView = async (id: string) => (await t.call('GET', `/api/v1/agents/${id}`, { headers: t.admin.auth })).body.data;
  const identity = () => JSON.parse(readFileSync(join(stateDir(), 'identity.json'), 'utf8')) as { agentId: string; hostId: string };

  beforeAll(async () => {
    // Under /tmp, away from the checkout: no node_modules anywhere above the installed agent.
    work = mkdtempSync('/tmp/aw-fleet-');
    mkdirSync(join(work, 'served'));
    served = (await buildAgent({ outfile: join(work, 'served', 'autowatch-agent.mjs'), version: '0.1.0-fleet.1' })).outfile;
    t = await startApiServer({ AW_AGENT_BUNDLE: served });
    token = (await createEnrollmentToken(t.server.deps.db, { createdBy: 'test', uses: 1, autoApprove: true })).token;
  }, 120_000);
  afterAll(async () => {
    await stopAgent();
    if (agentLog && process.env.AW_TEST_LOG) console.log(agentLog);
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves the bundle, its SHA-256 and the script with its own address written in, without a login', async () => {
    const bundle = await fetch(`${t.http}/downloads/autowatch-agent.mjs`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('x-autowatch-agent-version')).toBe('0.1.0-fleet.1');
    expect(
      createHash('sha256')
        .update(Buffer.from(await bundle.arrayBuffer()))
        .digest('hex'),
    ).toBe(sha256(served));
    expect(await (await fetch(`${t.http}/downloads/autowatch-agent.mjs.sha256`)).text()).toBe(`${sha256(served)}  autowatch-agent.mjs\n`);
    const script = await (await fetch(`${t.http}/downloads/install.sh`)).text();
    expect(script).toContain(`\nserver='${t.http}'\n`);
    expect(script.replace(`server='${t.http}'`, "server=''")).toBe(readFileSync(INSTALL_SCRIPT, 'utf8'));
  });

  it('installs with --no-service; the bundle runs from an empty folder with PATH and HOME only, enrolls, comes online, sends metrics', async () => {
    const first = await install('--no-service', '--prefix', prefix(), '--state-dir', stateDir(), '--token', token, '--agent-args', '--interval 1');
    expect(first.code, first.stderr).toBe(0);
    const installed = join(prefix(), 'autowatch-agent.mjs');
    expect(sha256(installed)).toBe(sha256(served));
    expect(statSync(stateDir()).mode & 0o777).toBe(0o700);
    expect(execFileSync(process.execPath, [installed, '--version'], { env: env(), encoding: 'utf8' }).trim()).toBe('0.1.0-fleet.1');
    const command = first.stdout.trim();
    expect(command).toBe(`${process.execPath} ${installed} --server ${t.ws} --state-dir ${stateDir()} --token ${token} --interval 1`);
    // No node_modules anywhere above the installed bundle.
    for (let dir = prefix(); dir !== '/'; dir = dirname(dir)) expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);

    runAgent(command);
    await until('enrolled', () => existsSync(join(stateDir(), 'identity.json')), 20_000);
    const { agentId, hostId } = identity();
    await until('agent online', async () => (await agentView(agentId))?.online === true, 20_000);
    expect(await agentView(agentId)).toMatchObject({ state: 'active', version: '0.1.0-fleet.1', outdated: false });
    await until(
      'metrics arrive',
      async () => {
        const series = await t.server.deps.metrics.query({ hostId, name: 'mem.total_bytes', from: 0, to: Date.now() + 60_000, maxPoints: 100 });
        return (series[0]?.points.length ?? 0) >= 1;
      },
      30_000,
    );
  });

  it('a second install upgrades in place and keeps the identity', async () => {
    const before = identity();
    const again = await install('--no-service', '--prefix', prefix(), '--state-dir', stateDir(), '--agent-args', '--interval 1');
    expect(again.code, again.stderr).toBe(0);
    expect(identity()).toEqual(before);
    // Enrolled already: the command needs no token any more.
    expect(again.stdout).not.toContain('--token');
    await stopAgent();
    runAgent(again.stdout.trim());
    await until('agent online again', async () => (await agentView(before.agentId))?.online === true, 20_000);
    expect(identity().agentId).toBe(before.agentId);
  });

  it('an agent-upgrade task moves the running agent to the new bundle, and it comes back reporting its version', async () => {
    const { agentId, hostId } = identity();
    await buildAgent({ outfile: served, version: '0.1.0-fleet.2' });
    const host = async () => (await t.call('GET', `/api/v1/hosts/${hostId}`, { headers: t.admin.auth })).body.data;
    expect(await host()).toMatchObject({ agent_version: '0.1.0-fleet.1', agent_outdated: true });

    const task = await runTask(t, { action: { kind: 'agent-upgrade' }, targets: { host_ids: [hostId] }, batch_size: 1 });
    expect(task.action).toMatchObject({ kind: 'agent-upgrade', version: '0.1.0-fleet.2', sha256: sha256(served) });
    const [h] = await finishedHosts(t, task.id, 30_000);
    expect(h, agentLog).toMatchObject({ state: 'ok' });
    expect(h.message).toMatch(/0\.1\.0-fleet\.2/);

    await until(
      'back online on the new version',
      async () => {
        const a = await agentView(agentId);
        return a?.online === true && a.version === '0.1.0-fleet.2';
      },
      30_000,
    );
    expect(sha256(join(prefix(), 'autowatch-agent.mjs'))).toBe(sha256(served));
    expect(await host()).toMatchObject({ agent_version: '0.1.0-fleet.2', agent_outdated: false });
    // Without systemd the agent started the new file itself, in the same process group, and left.
    expect(agentLog).toContain('starting the new agent in this one');
  });

  it('stops with a clear message where Node.js >= 20 is missing, installing nothing', async () => {
    const old = join(work, 'old-node');
    mkdirSync(old);
    writeFileSync(join(old, 'node'), '#!/bin/sh\necho 18.19.0\n', { mode: 0o755 });
    const elsewhere = join(work, 'elsewhere');
    for (const node of [join(old, 'node'), join(work, 'no-such-node')]) {
      const r = await install('--no-service', '--node', node, '--prefix', elsewhere, '--state-dir', join(work, 'elsewhere-state'), '--token', token);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(node.endsWith('no-such-node') ? /Node\.js not found/ : /Node\.js 18\.19\.0 is too old: the agent needs 20 or later/);
      expect(r.stderr).toContain('https://nodejs.org/en/download');
      expect(existsSync(elsewhere)).toBe(false);
    }
  });

  it('--uninstall removes the agent and keeps its identity; --purge removes that too', async () => {
    await stopAgent();
    const keep = await install('--uninstall', '--prefix', prefix(), '--state-dir', stateDir());
    expect(keep.code, keep.stderr).toBe(0);
    expect(existsSync(prefix())).toBe(false);
    expect(existsSync(join(stateDir(), 'identity.json'))).toBe(true);
    const purge = await install('--uninstall', '--purge', '--prefix', prefix(), '--state-dir', stateDir());
    expect(purge.code, purge.stderr).toBe(0);
    expect(existsSync(stateDir())).toBe(false);
  });
});

describe('agent-upgrade without a bundle to serve', () => {
  let t: ApiServer;
  beforeAll(async () => {
    t = await startApiServer({ AW_AGENT_BUNDLE: '/nonexistent/autowatch-agent.mjs' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is refused with AGENT_BUNDLE_NOT_BUILT and makes no task; the downloads answer 404', async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'no-bundle-host' } })).body.data;
    const res = await t.call('POST', '/api/v1/tasks', { headers: t.admin.auth, body: { action: { kind: 'agent-upgrade' }, targets: { host_ids: [host.id] } } });
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('AGENT_BUNDLE_NOT_BUILT');
    expect((await t.call('GET', '/api/v1/tasks', { headers: t.admin.auth })).body.data).toEqual([]);
    expect((await fetch(`${t.http}/downloads/autowatch-agent.mjs`)).status).toBe(404);
    expect((await fetch(`${t.http}/downloads/autowatch-agent.mjs.sha256`)).status).toBe(404);
  });
});

/**
 * install.sh's service path, in a mount namespace of its own: a private /etc/systemd/system and a
 * systemctl that only records what it is asked. The unit's command is then run as systemd would run it.
 */
needs('curl', 'mount-namespace').describe('install.sh with a service: enroll, unit, restart on upgrade by exit 75', () => {
  let t: ApiServer;
  let work: string;
  let served: string;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  beforeAll(async () => {
    work = mkdtempSync('/tmp/aw-fleet-unit-');
    mkdirSync(join(work, 'bin'));
    writeFileSync(join(work, 'bin', 'systemctl'), `#!/bin/sh\necho "$*" >> ${join(work, 'systemctl.log')}\n`, { mode: 0o755 });
    served = (await buildAgent({ outfile: join(work, 'autowatch-agent.mjs'), version: '0.2.0-unit.1' })).outfile;
    t = await startApiServer({ AW_AGENT_BUNDLE: served });
  }, 120_000);
  afterAll(async () => {
    if (agent?.exitCode === null) agent.kill('SIGTERM');
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('enrolls before the service starts, writes the unit, and the agent exits 75 for systemd after an upgrade', async () => {
    const token = (await createEnrollmentToken(t.server.deps.db, { createdBy: 'test', autoApprove: true })).token;
    const prefix = join(work, 'opt');
    const state = join(work, 'state');
    const run = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t tmpfs tmpfs /etc/systemd/system && curl -fsSL ${t.http}/downloads/install.sh | sh -s -- --prefix ${prefix} --state-dir ${state} --token ${token} --agent-args '--interval 1' && cat /etc/systemd/system/autowatch-agent.service`,
      ],
      { env: { PATH: `${join(work, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin:/usr/sbin:/sbin`, HOME: work } },
    );
    let unit = '';
    let stderr = '';
    run.stdout.on('data', (d) => (unit += d));
    run.stderr.on('data', (d) => (stderr += d));
    expect(await new Promise((r) => run.on('close', r)), stderr).toBe(0);

    // Enrolled by the installer (--enroll-only): the unit carries no token.
    const { agentId } = JSON.parse(readFileSync(join(state, 'identity.json'), 'utf8'));
    expect(unit).not.toContain(token);
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    expect(execStart).toBe(`${process.execPath} ${prefix}/autowatch-agent.mjs --server ${t.ws} --state-dir ${state} --interval 1`);
    for (const line of [
      'User=root',
      'Environment=AW_AGENT_SUPERVISED=systemd',
      'Restart=on-failure',
      'RestartForceExitStatus=75',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit).toContain(`\n${line}\n`);
    }
    expect(readFileSync(join(work, 'systemctl.log'), 'utf8')).toBe('daemon-reload\nenable autowatch-agent.service\nrestart autowatch-agent.service\n');

    // As systemd runs it.
    agent = spawn('sh', ['-c', execStart!], { env: { PATH: '/usr/bin:/bin', AW_AGENT_SUPERVISED: 'systemd' } });
    agent.stdout!.on('data', (d) => (agentLog += d));
    agent.stderr!.on('data', (d) => (agentLog += d));
    const exited = new Promise<number | null>((r) => agent!.on('exit', (code) => r(code)));
    const view = async () => (await t.call('GET', `/api/v1/agents/${agentId}`, { headers: t.admin.auth })).body.data;
    await until('agent online', async () => (await view())?.online === true, 20_000);

    await buildAgent({ outfile: served, version: '0.2.0-unit.2' });
    const { hostId } = JSON.parse(readFileSync(join(state, 'identity.json'), 'utf8'));
    const task = await runTask(t, { action: { kind: 'agent-upgrade' }, targets: { host_ids: [hostId] } });
    expect((await finishedHosts(t, task.id, 30_000))[0], agentLog).toMatchObject({ state: 'ok' });
    expect(await exited, agentLog).toBe(75);
    expect(execFileSync(process.execPath, [join(prefix, 'autowatch-agent.mjs'), '--version'], { encoding: 'utf8' }).trim()).toBe('0.2.0-unit.2');
  });
});
