import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'agent/**/*.test.ts', 'protocol/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    pool: 'forks',
    // Generous: the browser and fault suites share 2 cores with the whole run; a test asserts what
    // happens, never how fast (benchmarks under bench/ measure that).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The run ends with what was skipped and why (test/support/requires.ts records the reasons).
    reporters: ['default', './test/support/skip-report.ts'],
  },
});
