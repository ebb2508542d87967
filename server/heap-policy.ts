/**
 * V8's heap may grow only 30 % past its live data before it is collected (`--heap-growing-percent=30`).
 * By default V8 lets it grow up to four times when allocation is fast, and a gateway holding tens of
 * thousands of sessions and series heads then peaks far above its live set at a checkpoint: with bench:agents,
 * 5,000 agents on Postgres for 330 s, server peak RSS 449 MB by default, 289 MB with this policy.
 * `--optimize-for-size`, used before for the same reason, also slows the code itself: HTTP line-protocol
 * intake took in a third of the points (bench:store --peers-only --hosts 50: 136,000 points/s against
 * 349,000 with this policy and 414,000 with V8's default).
 * Set at start, before the heap grows, as the command-line flag would (NODE_OPTIONS refuses that flag);
 * a `--heap-growing-percent` given to node wins. Imported first by main.ts, so it runs before any other
 * module is evaluated.
 */
import { setFlagsFromString } from 'node:v8';

if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) setFlagsFromString('--heap-growing-percent=30');
