/**
 * The agent as one file: `npm run build:agent` bundles agent/main.ts and its dependencies into
 * dist/autowatch-agent.mjs, which needs only Node.js >= 20 on the host (docs/agent.md).
 *   tsx scripts/build-agent.ts [--outfile PATH] [--version X.Y.Z]   (defaults: dist/autowatch-agent.mjs, package.json's)
 * The second line of the file names the version (`// autowatch-agent X.Y.Z`): the server reads it there to
 * know which version it serves, and `--version` prints the same string, written in with esbuild's define.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Native speed-ups the dependencies load inside try/catch and do without (msgpackr's extractor, ws's
 * masking and UTF-8 check): left out of the bundle, so a host without them takes the pure-JS path.
 */
const OPTIONAL_NATIVE = ['msgpackr-extract', 'bufferutil', 'utf-8-validate'];

export const packageVersion = (): string => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

export async function buildAgent(opts: { outfile?: string; version?: string } = {}): Promise<{ outfile: string; version: string }> {
  const outfile = opts.outfile ?? join(ROOT, 'dist', 'autowatch-agent.mjs');
  const version = opts.version ?? packageVersion();
  if (!/^[0-9A-Za-z.+-]{1,64}$/.test(version)) throw new Error(`version ${JSON.stringify(version)} is not a version`);
  await build({
    entryPoints: [join(ROOT, 'agent', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: OPTIONAL_NATIVE,
    define: { AUTOWATCH_AGENT_VERSION: JSON.stringify(version) },
    // CommonJS dependencies call require(); an ES module has none until it is made.
    banner: {
      js: [
        // esbuild keeps agent/main.ts's #! line above the banner.
        `// autowatch-agent ${version}`,
        "import { createRequire as __awCreateRequire } from 'node:module';",
        'const require = __awCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return { outfile, version };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { outfile: { type: 'string' }, version: { type: 'string' } } });
  const built = await buildAgent(values);
  console.log(`built ${built.outfile} (autowatch-agent ${built.version})`);
}
