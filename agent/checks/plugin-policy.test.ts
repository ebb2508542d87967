/**
 * Wrapper plugins and the agent's local policy, against Debian's real monitoring-plugins (negate,
 * urlize, check_dummy; installed by .ci/run) and real processes: a refused plugin must not start, so
 * each test looks for the file its command would have made.
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../protocol/messages.js';
import { CheckScheduler, type CheckItem } from './check-scheduler.js';
import { PluginRunner } from './plugin-runner.js';
import type { PluginPolicy } from './plugin-policy.js';

const NAGIOS = '/usr/lib/nagios/plugins';
const dir = mkdtempSync(join(tmpdir(), 'aw-plugin-policy-'));
const own = mkdtempSync(join(tmpdir(), 'aw-own-plugins-'));
const log = pino({ level: 'silent' });
let n = 0;

/** A plugin item whose plugin would create a fresh file if it ran; the file's path comes back with it. */
function shellThrough(command: string, extra: string[] = []): { item: CheckItem; marker: string } {
  const marker = join(dir, `ran-${++n}`);
  return {
    marker,
    item: { key: `k${n}`, type: 'plugin', intervalS: 10, timeoutS: 5, command, args: [...extra, '/bin/sh', '-c', `touch ${marker}`] } as CheckItem,
  };
}
const schedulerWith = (policy?: PluginPolicy, emit: (p: MetricPoint[]) => void = () => undefined) =>
  new CheckScheduler({ runner: new PluginRunner({ dirs: [own, NAGIOS], policy }), emit, log });
const dummy = (args: string[]): CheckItem => ({ key: 'd', type: 'plugin', intervalS: 10, timeoutS: 5, command: 'check_dummy', args });

beforeAll(() => {
  if (!existsSync(join(NAGIOS, 'negate'))) throw new Error('monitoring-plugins are not installed: apt-get install -y monitoring-plugins-basic');
  symlinkSync('/bin/sh', join(own, 'my_check'));
  symlinkSync(join(NAGIOS, 'negate'), join(own, 'check_inverted'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
});

describe('wrapper plugins', () => {
  it('negate and urlize with /bin/sh -c … do not run by default: UNKNOWN with the reason', async () => {
    const s = schedulerWith();
    for (const command of ['negate', 'urlize']) {
      const { item, marker } = shellThrough(command);
      const r = await s.check(item);
      expect(r.status).toBe(3);
      expect(r.message).toMatch(new RegExp(`^UNKNOWN - plugin ${command} runs the command given in its arguments; .*--allow-plugin ${command}`));
      expect(r.refused).toBe('wrapper_plugin');
      expect(existsSync(marker)).toBe(false);
    }
  });

  it("run when the agent's owner allow-lists them", async () => {
    const { item, marker } = shellThrough('negate');
    const r = await schedulerWith({ allowedPlugins: ['negate'] }).check(item);
    expect(existsSync(marker)).toBe(true);
    expect(r.refused).toBeUndefined();
  });

  it('a symlink to a shell or to a wrapper, under another name, is judged by what it runs', async () => {
    const s = schedulerWith();
    for (const command of ['my_check', 'check_inverted']) {
      const { item, marker } = shellThrough(command);
      const r = await s.check(item);
      expect(r.refused).toBe('wrapper_plugin');
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('names cannot leave the plugin folders', () => {
    const runner = new PluginRunner({ dirs: [NAGIOS] });
    for (const name of ['..', '../negate', `${NAGIOS}/negate`, 'a/../negate', '.negate']) expect(runner.resolve(name)).toBeUndefined();
    expect(runner.resolve('negate')).toBe(join(NAGIOS, 'negate'));
  });

  it('the refusal reaches the server as <key>.refused{reason} beside status 3, and is logged once', async () => {
    const points: MetricPoint[] = [];
    const warnings: unknown[] = [];
    const warnLog = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    const s = new CheckScheduler({ runner: new PluginRunner({ dirs: [NAGIOS] }), emit: (p) => points.push(...p), log: warnLog });
    const { item, marker } = shellThrough('negate');
    s.apply({ items: [{ ...item, intervalS: 1 }] }, 'v1');
    await new Promise((r) => setTimeout(r, 2500)); // the first run and at least one more
    s.stop();
    expect(existsSync(marker)).toBe(false);
    expect(points).toContainEqual(expect.objectContaining({ name: `${item.key}.status`, v: 3 }));
    expect(points).toContainEqual(expect.objectContaining({ name: `${item.key}.refused`, labels: { reason: 'wrapper_plugin' }, v: 1 }));
    expect(points.filter((p) => p.name === `${item.key}.status`).length).toBeGreaterThanOrEqual(2);
    expect(warnings).toHaveLength(1);
  });
});

describe('the local policy covers plugin items as it covers tasks', () => {
  it('--refuse-remote-exec refuses every plugin but the allow-listed ones; built-in checks still run', async () => {
    const s = schedulerWith({ refuseRemoteExecution: true, allowedPlugins: ['check_load'] });
    const refused = await s.check(dummy(['0', 'fine']));
    expect(refused).toMatchObject({ status: 3, refused: 'remote_exec_refused' });
    expect(refused.message).toMatch(/refuse remote execution/);
    const { item, marker } = shellThrough('negate');
    expect((await s.check(item)).refused).toBe('remote_exec_refused');
    expect(existsSync(marker)).toBe(false);
    expect(
      (
        await s.check({
          key: 'l',
          type: 'plugin',
          intervalS: 10,
          timeoutS: 5,
          command: 'check_load',
          args: ['-w', '1000,1000,1000', '-c', '2000,2000,2000'],
        } as CheckItem)
      ).status,
    ).toBe(0);
    expect((await s.check({ key: 'p', type: 'process', intervalS: 10, timeoutS: 5, params: { pattern: 'node' } } as CheckItem)).status).toBe(0);
  });

  it('with --allow-command, a plugin item runs only as a listed line', async () => {
    const s = schedulerWith({ allowedCommands: ['check_dummy 1 listed'] });
    expect(await s.check(dummy(['1', 'listed']))).toMatchObject({ status: 1, message: 'WARNING: listed' });
    expect(await s.check(dummy(['0', 'other']))).toMatchObject({ status: 3, refused: 'command_not_allowed' });
  });

  it('by default, ordinary plugins run as before', async () => {
    expect(await schedulerWith().check(dummy(['0', 'fine']))).toMatchObject({ status: 0, message: 'OK: fine' });
  });
});
