/**
 * Ends every run with what was skipped and why, so "passed" never hides a skip: the suites that
 * test/support/requires.ts skipped for want of a part from outside npm, with its reason, and any other
 * skipped test (with its `ctx.skip(note)` if it gave one).
 */
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';

export default class SkipReport implements Reporter {
  private vitest!: Vitest;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    // A name filter (-t) skips every other test on purpose: only the recorded reasons are worth listing then.
    const filtered = !!this.vitest.config.testNamePattern;
    for (const module of modules) {
      const skipped = [...module.children.allTests('skipped')];
      const explained = new Set<TestCase>();
      for (const skip of module.meta().outsideSkips ?? []) {
        const covered = skipped.filter((t) => t.fullName === skip.name || t.fullName.startsWith(`${skip.name} > `));
        for (const t of covered) explained.add(t);
        lines.push(`  ${module.relativeModuleId} › ${skip.name} (${count(covered.length)}): ${skip.reason}`);
      }
      if (filtered) continue;
      for (const t of skipped.filter((t) => !explained.has(t))) lines.push(`  ${module.relativeModuleId} › ${t.fullName}: ${why(t)}`);
    }
    const log = (s: string) => this.vitest.logger.log(s);
    if (lines.length === 0) return log('\nNothing skipped.\n');
    log('\nSkipped, and why (scripts/test-deps.sh installs and starts the outside parts; README, "Tests"):');
    for (const line of lines) log(line);
    log('');
  }
}

/** Why a test with no recorded outside part was skipped. */
function why(t: TestCase): string {
  for (let p: TestCase['parent'] = t.parent; ; p = p.parent) {
    if (p.errors().length > 0) return 'not run: its suite failed in set-up (the error is above)';
    if (p.type === 'module') break;
  }
  const result = t.result();
  if (result.state === 'skipped' && result.note) return result.note;
  return t.options.mode === 'run' ? 'skipped while running, no reason given' : `marked ${t.options.mode} in the code, no reason given`;
}

const count = (n: number) => `${n} test${n === 1 ? '' : 's'}`;
