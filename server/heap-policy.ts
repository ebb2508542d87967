/**
 * V8 tuned for memory over speed (`--optimize-for-size`): the heap grows less past its live data before
 * it is collected. The gateway holds tens of thousands of sessions and series heads per process, and by
 * default V8 let the heap reach about twice that live set. Measured with bench:agents, 5,000 agents on
 * Postgres: server RSS 250 MB instead of about 440 MB, and a lower ack p99 (smaller collections). Set at
 * start, before the heap grows, as the command-line flag would (NODE_OPTIONS refuses that flag).
 * Imported first by main.ts, so it runs before any other module is evaluated.
 */
import { setFlagsFromString } from 'node:v8';

// `node --no-optimize-for-size` keeps V8's default (the comparison the figures above come from:
// AW_BENCH_NODE_ARGS=--no-optimize-for-size npm run bench:agents -- ...).
if (!process.execArgv.includes('--no-optimize-for-size')) setFlagsFromString('--optimize-for-size');
