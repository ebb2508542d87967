import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentBundle, agentOutdated, fillInstallScript, installServerUrl } from './agent-downloads.js';

describe('agent downloads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-downloads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('knows the version and SHA-256 of the bundle on disk, and sees a rebuild', () => {
    const path = join(dir, 'autowatch-agent.mjs');
    const bundle = new AgentBundle(path);
    expect(bundle.current()).toBeUndefined();
    const v1 = '#!/usr/bin/env node\n// autowatch-agent 1.2.3\nconsole.log(1);\n';
    writeFileSync(path, v1);
    expect(bundle.current()).toMatchObject({ version: '1.2.3', size: v1.length, sha256: createHash('sha256').update(v1).digest('hex') });
    const v2 = '#!/usr/bin/env node\n// autowatch-agent 1.2.4-rc.1\nconsole.log(22);\n';
    writeFileSync(path, v2);
    expect(bundle.current()?.version).toBe('1.2.4-rc.1');
    writeFileSync(path, 'not a bundle');
    expect(bundle.current()).toBeUndefined();
  });

  it('writes a server address into install.sh only when it is safe in single quotes', () => {
    expect(installServerUrl(undefined, '10.0.0.5:8080', 'http://127.0.0.1:8080/')).toBe('http://10.0.0.5:8080');
    expect(installServerUrl(undefined, '[::1]:8080', 'http://127.0.0.1:8080/')).toBe('http://[::1]:8080');
    expect(installServerUrl('https://watch.example.com/', 'anything', 'http://127.0.0.1:8080/')).toBe('https://watch.example.com');
    // A Host header made to break out of the quotes gets the configured address instead.
    expect(installServerUrl(undefined, "x';reboot;'", 'http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(fillInstallScript("a\nserver=''\nb\n", 'http://h:1')).toBe("a\nserver='http://h:1'\nb\n");
    expect(() => fillInstallScript("server=''\n", "http://h'1")).toThrow();
  });

  it('calls an agent outdated only when both versions are known and differ', () => {
    expect(agentOutdated('1.0.0', '1.0.1')).toBe(true);
    expect(agentOutdated('1.0.1', '1.0.1')).toBe(false);
    expect(agentOutdated(null, '1.0.1')).toBe(false);
    expect(agentOutdated('1.0.0', undefined)).toBe(false);
  });
});
