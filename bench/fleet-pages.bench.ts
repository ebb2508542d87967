/**
 * The overview and the hosts list with 50,000 hosts (FLEET_BENCH_HOSTS) in Postgres: a real server on
 * a database of its own on the server DATABASE_URL names (dropped at the end), the hosts and their
 * agents inserted in one statement (1 in 100 pending, the rest active and offline). Prints, for
 * GET /api/v1/overview, the hosts list's first page and a hostname search, the answer time over HTTP
 * (p50 / p99 of 20 calls after 3 warm-ups), and with Chromium present the page load in the browser from
 * navigation to the data on screen. A figure, not a test: the goal is < 1 s.
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/fleet-pages.bench.ts
 */
import { existsSync } from 'node:fs';
import { SessionStore } from '../server/auth/sessions.js';
import { UserDirectory } from '../server/auth/users.js';
import { chromium } from 'playwright-core';
import { startBenchServer } from './bench-server.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const DASHBOARD_INDEX = new URL('../dashboard/dist/index.html', import.meta.url);

// Runs in the page (page.waitForFunction); the server's tsconfig has no DOM types.
declare const document: any;
declare const localStorage: any;

const N = Number(process.env.FLEET_BENCH_HOSTS ?? 50_000);
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must name a Postgres server: the figure is for Postgres');

const t = await startBenchServer({}, { validateResponses: false });
const db = t.db;
try {
  const admin = await new UserDirectory(db).create({ username: 'bench', role: 'admin', createdBy: 'bench' });
  const token = (await new SessionStore(db).create(admin.id, 3600)).token;
  const auth = { authorization: `Bearer ${token}` };

  let t0 = performance.now();
  await db.query(
    `WITH h AS (
       INSERT INTO hosts (id, hostname)
       SELECT gen_random_uuid(), 'fleet-' || lpad(i::text, 6, '0') FROM generate_series(1, $1::int) i RETURNING id, hostname)
     INSERT INTO agents (id, host_id, secret, state, hostname, agent_version, os, last_seen_at)
     SELECT gen_random_uuid(), h.id, '\\x00'::bytea, CASE WHEN right(h.hostname, 2) = '00' THEN 'pending' ELSE 'active' END, h.hostname, '0.1.0', 'Linux', now() - interval '1 hour'
       FROM h`,
    [N],
  );
  await db.query('ANALYZE hosts');
  await db.query('ANALYZE agents');
  console.log(`inserted ${N} hosts and agents in ${Math.round(performance.now() - t0)} ms`);

  const timed = async (path: string) => {
    const ms: number[] = [];
    for (let i = 0; i < 23; i++) {
      const started = performance.now();
      const res = await fetch(t.http + path, { headers: auth });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      if (i >= 3) ms.push(performance.now() - started);
    }
    ms.sort((a, b) => a - b);
    return { p50: Math.round(ms[Math.floor(ms.length / 2)]), p99: Math.round(ms[ms.length - 1]) };
  };
  const api = {
    overview: await timed('/api/v1/overview'),
    hosts: await timed('/api/v1/hosts?limit=50'),
    search: await timed('/api/v1/hosts?limit=50&q=fleet-04999'),
  };
  for (const [name, r] of Object.entries(api)) console.log(`api ${name}: p50 ${r.p50} ms, p99 ${r.p99} ms`);

  let browser: Record<string, number> | null = null;
  if (!existsSync(DASHBOARD_INDEX)) console.log('browser figures skipped: build the dashboard first (npm run build:dashboard)');
  else if (existsSync(CHROMIUM_PATH)) {
    const browserProcess = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await (await browserProcess.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.goto(t.http);
    await page.evaluate((tk: string) => localStorage.setItem('aw.session', tk), token);
    const load = async (path: string, ready: () => boolean) => {
      // From a blank page, so the app really loads rather than only changing its hash.
      await page.goto('about:blank');
      t0 = performance.now();
      await page.goto(`${t.http}/#${path}`);
      await page.waitForFunction(ready, undefined, { timeout: 30_000 });
      return Math.round(performance.now() - t0);
    };
    // A first load warms the browser's cache of the app's files, as for a returning person.
    await load('/', () => !!document.querySelector('[data-testid=tile-offline]'));
    browser = {
      overview: await load('/', () => (document.querySelector('[data-testid=tile-offline]')?.textContent ?? '0') !== '0'),
      hosts: await load('/hosts', () => document.querySelectorAll('[data-testid=hosts-table] tbody tr').length === 50),
    };
    await browserProcess.close();
    console.log(`browser (navigation to data shown): overview ${browser.overview} ms, hosts list ${browser.hosts} ms`);
  }
  console.log(JSON.stringify({ hosts: N, api, browser }));
} finally {
  await t.close();
}
