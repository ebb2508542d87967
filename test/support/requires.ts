/**
 * What a suite needs from outside npm, and the skip when it is absent: `needs('chromium').describe(...)`
 * skips the suite and records the reason on its test file; test/support/skip-report.ts lists every such skip
 * at the end of the run, so "passed" never hides one. scripts/test-deps.sh installs or starts these parts
 * (`make test` runs it); each reason names what would bring the part.
 */
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it, TestRunner, type RunnerTestSuite, type TestFunction } from 'vitest';
import { PROJECT_ROOT } from '../../server/paths.js';

export type OutsidePart =
  | 'chromium'
  | 'monitoring-plugins'
  | 'openssl'
  | 'curl'
  | 'promtool'
  | 'shellcheck'
  | 'mount-namespace'
  | 'questdb'
  | 'postgres'
  | 'redis';

export interface OutsideSkip {
  /** The suite or test skipped, as vitest names it (parent suites joined by ' > '). */
  name: string;
  reason: string;
}

declare module 'vitest' {
  interface TaskMeta {
    outsideSkips?: OutsideSkip[];
  }
}

const executable = (path: string) => existsSync(path) && statSync(path).isFile() && (statSync(path).mode & 0o111) !== 0;
const onPath = (command: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, command)));

/** CHROMIUM_PATH, or where Debian's `chromium` package puts it. */
export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/lib/chromium/chromium', '/usr/bin/chromium-browser'].find(executable) ?? '/usr/bin/chromium';
/** MONITORING_PLUGINS_DIR, or where Debian's `monitoring-plugins-basic` puts them. */
export const MONITORING_PLUGINS_DIR = process.env.MONITORING_PLUGINS_DIR ?? '/usr/lib/nagios/plugins';
const SHARED_QUESTDB = join(PROJECT_ROOT, '..', 'shared', 'questdb');

/** Why `part` is absent, or undefined when it is there. */
export function absence(part: OutsidePart): string | undefined {
  switch (part) {
    case 'chromium':
      return executable(CHROMIUM_PATH) ? undefined : `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
    case 'monitoring-plugins':
      return executable(join(MONITORING_PLUGINS_DIR, 'check_tcp'))
        ? undefined
        : `no monitoring plugins in ${MONITORING_PLUGINS_DIR} (apt-get install -y monitoring-plugins-basic)`;
    case 'openssl':
    case 'curl':
      return onPath(part) ? undefined : `${part} not found on PATH (apt-get install -y ${part})`;
    case 'promtool':
      return onPath(part) ? undefined : 'promtool not found on PATH (apt-get install -y prometheus)';
    case 'shellcheck':
      return onPath(part) ? undefined : 'shellcheck not found on PATH (apt-get install -y shellcheck)';
    case 'mount-namespace':
      // install.sh's service path writes /etc/systemd/system: the test gives it a private one.
      if (process.getuid?.() !== 0) return 'needs root, to mount a private /etc/systemd/system for install.sh (unshare -m)';
      return onPath('unshare') ? undefined : 'unshare not found on PATH (apt-get install -y util-linux)';
    case 'questdb':
      if (process.env.QUESTDB_URL) return undefined;
      if (!existsSync(join(SHARED_QUESTDB, 'start.sh')))
        return 'QUESTDB_URL is not set and there is no ../shared/questdb to start (run QuestDB 9.3.5, set QUESTDB_URL)';
      if (!onPath('java')) return 'QUESTDB_URL is not set: ../shared/questdb needs Java (apt-get install -y openjdk-17-jre-headless)';
      return 'QUESTDB_URL is not set (`make test` starts ../shared/questdb and sets it)';
    case 'postgres':
      return process.env.DATABASE_URL ? undefined : 'DATABASE_URL is not set: needs a Postgres server, the embedded PGlite cannot do it';
    case 'redis':
      return process.env.REDIS_URL ? undefined : 'REDIS_URL is not set: needs a Redis server';
  }
}

/**
 * `describe` and `it` for what needs `parts`: skipped when one is absent, with the reason recorded for the
 * report. `needs('chromium').describe('dashboard in Chromium', () => ...)`.
 */
export function needs(...parts: OutsidePart[]) {
  const reason =
    parts
      .map(absence)
      .filter((r) => r !== undefined)
      .join('; ') || undefined;
  const record = (name: string) => {
    if (!reason) return;
    const collector = TestRunner.getCurrentSuite();
    (collector.file.meta.outsideSkips ??= []).push({ name: [...suiteNames(collector.suite), name].join(' > '), reason });
  };
  return {
    describe(name: string, fn: () => void): void {
      record(name);
      describe.skipIf(reason)(name, fn);
    },
    it(name: string, fn: TestFunction, timeout?: number): void {
      record(name);
      it.skipIf(reason)(name, fn, timeout);
    },
  };
}

/** The names of `suite` and its parents, outermost first (the file itself has none). */
function suiteNames(suite: RunnerTestSuite | undefined): string[] {
  const names: string[] = [];
  for (let s = suite; s && s !== s.file; s = s.suite) names.unshift(s.name);
  return names;
}
