#!/usr/bin/env node
// The `autowatch` command (package.json "bin"): the compiled CLI when dist/ has one, the
// TypeScript source through tsx otherwise (a development checkout).
import { existsSync } from 'node:fs';

const built = new URL('../../dist/server/cli/autowatch.js', import.meta.url);
if (existsSync(built)) {
  await (await import(built.href)).main();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await (await import('./autowatch.ts')).main();
}
