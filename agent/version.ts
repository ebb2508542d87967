/**
 * The agent's version. The bundle (scripts/build-agent.ts) has it written in at build time, since a
 * bundle on a host has no package.json beside it; run from the sources it is the checkout's package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const AUTOWATCH_AGENT_VERSION: string | undefined;

function checkoutVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version;
    if (dirname(dir) === dir) return 'unknown';
  }
}

export const BUNDLED = typeof AUTOWATCH_AGENT_VERSION === 'string';
export const AGENT_VERSION: string = BUNDLED ? AUTOWATCH_AGENT_VERSION! : checkoutVersion();
