/**
 * Batch tasks at fleet scale: one real server process (its own fresh database), N simulated agents
 * in this process using the real agent's connection code (agent/link.ts) and the real order check
 * (openOrder against the pinned key). Two runs:
 *   1. a shell command to --agents agents in batches of --batch (agents answer at once: this
 *      measures the server's dispatch, signing, result intake and wave logic, not the command);
 *   2. a --file-mb MiB file pushed to --file-agents agents: every agent downloads it through
 *      /agent-files (capped concurrency, 503 + Retry-After past AW_TASK_MAX_DOWNLOADS) and hashes it.
 * Prints wall times and the server's peak RSS as one JSON line.
 *
 *   npx tsx bench/tasks.bench.ts [--agents 5000] [--batch 500] [--file-agents 1000] [--file-mb 50]
 *                                [--database-url postgres://...] [--max-downloads 64]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AgentLink } from '../agent/link.js';
import { SessionStore } from '../server/auth/sessions.js';
import { UserDirectory } from '../server/auth/users.js';
import { loadServerIdentity } from '../server/auth/server-identity.js';
import { MessageType, type TaskResultMessage } from '../protocol/messages.js';
import { openOrder } from '../protocol/task-order.js';
import { openDb } from '../server/store/db.js';
import { PROJECT_ROOT } from '../server/paths.js';
import { createRunDatabase, type Credentials } from './agents/provision.js';
import { ProcessSampler } from './agents/proc-stats.js';
import { freePort, startServers } from './agents/servers.js';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '500' },
    'file-agents': { type: 'string', default: '1000' },
    'file-mb': { type: 'string', default: '50' },
    'max-downloads': { type: 'string', default: '64' },
    'database-url': { type: 'string' },
  },
});
const N = Number(args.agents);
const BATCH = Number(args.batch);
const FILE_AGENTS = Math.min(Number(args['file-agents']), N);
const FILE_BYTES = Number(args['file-mb']) * 1024 * 1024;

class TaskSimAgent {
  private link: AgentLink | undefined;
  /** The server verified this agent's hello (it acks it): orders can reach it. */
  ready = false;
  private stopped = false;
  downloaded = 0;
  resumed = 0;

  constructor(
    private readonly cred: Credentials,
    private readonly ws: string,
    private readonly http: string,
    private readonly serverKey: Uint8Array,
  ) {}

  start(): void {
    const link = new AgentLink({
      url: this.ws,
      credentials: { agentId: this.cred.agentId, secret: Buffer.from(this.cred.secret, 'hex') },
      hello: { agentVersion: 'bench', hostname: this.cred.hostname },
    });
    this.link = link;
    link.on('ack', () => (this.ready = true));
    link.on('task', (m) => void this.onTask(m));
    link.on('close', () => {
      this.ready = false;
      if (!this.stopped) setTimeout(() => this.start(), 500 + Math.random() * 1000);
    });
  }

  stop(): void {
    this.stopped = true;
    this.link?.close();
  }

  private send(m: TaskResultMessage): void {
    this.link?.send(MessageType.taskResult, m);
  }

  private async onTask(message: unknown): Promise<void> {
    const order = openOrder(message, this.serverKey, this.cred.agentId, Date.now());
    this.send({ taskId: order.taskId, event: 'started' });
    const started = Date.now();
    let stdout = 'ok\n';
    if (order.action.kind === 'file') {
      // As the real agent: wait out 503s, resume a broken download with Range, check the hash.
      const url = new URL(order.action.url, this.http).toString();
      const h = createHash('sha256');
      let got = 0;
      while (got < order.action.size) {
        try {
          const res = await fetch(url, { headers: { authorization: `Bearer ${order.downloadToken}`, ...(got ? { range: `bytes=${got}-` } : {}) } });
          if (res.status === 503) {
            await res.body?.cancel();
            await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
            continue;
          }
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            h.update(chunk);
            got += chunk.length;
            this.downloaded += chunk.length;
          }
        } catch {
          this.resumed++;
        }
      }
      stdout = h.digest('hex') === order.action.sha256 ? 'verified\n' : 'HASH MISMATCH\n';
    }
    this.send({
      taskId: order.taskId,
      event: 'done',
      state: 'ok',
      exitCode: 0,
      stdout,
      stderr: '',
      stdoutCut: false,
      stderrCut: false,
      durationMs: Date.now() - started,
    });
  }
}

async function main(): Promise<void> {
  const runDir = mkdtempSync(join(tmpdir(), 'aw-bench-tasks-'));
  const db = await createRunDatabase({ count: N, postgresUrl: args['database-url'], runDir });
  // An operator session and the server's key, made before the server opens the database (PGlite admits one process).
  const conn = await openDb(db.url ? { databaseUrl: db.url } : { dataDir: join(db.dataDir, 'pg') });
  const user = await new UserDirectory(conn).create({ username: 'bench', role: 'admin', createdBy: 'bench' });
  const token = (await new SessionStore(conn).create(user.id, 3600)).token;
  const identity = await loadServerIdentity(conn);
  await conn.close();

  const port = await freePort();
  const fleet = await startServers({
    count: 1,
    port,
    runDir,
    repoRoot: PROJECT_ROOT,
    env: {
      ...process.env,
      DATA_DIR: db.dataDir,
      DATABASE_URL: db.url ?? '',
      LOG_LEVEL: 'warn',
      AW_BOOTSTRAP_ADMIN: 'false',
      AW_OUTAGE_QUEUE_MB: '0',
      AW_RATE_ADDRESS_PER_S: '100000',
      AW_RATE_ADDRESS_BURST: '100000',
      AW_RATE_CALLER_PER_S: '100000',
      AW_RATE_CALLER_BURST: '100000',
      AW_TASK_MAX_DOWNLOADS: args['max-downloads'],
      AW_TASK_FILE_MAX_MB: String(Math.max(1, Math.ceil(FILE_BYTES / 2 ** 20))),
    },
  });
  const sampler = new ProcessSampler(fleet.pids);
  sampler.start();
  const auth = { authorization: `Bearer ${token}` };
  const agents = db.agents.map((c) => new TaskSimAgent(c, fleet.ws, fleet.http, identity.signPublicKey));
  const out: Record<string, unknown> = {
    agents: N,
    batch: BATCH,
    file_agents: FILE_AGENTS,
    file_mb: FILE_BYTES / 2 ** 20,
    store: db.url ? 'postgres' : 'pglite',
  };
  try {
    const t0 = performance.now();
    for (let i = 0; i < agents.length; i++) {
      agents[i].start();
      if (i % 250 === 249) await new Promise((r) => setTimeout(r, 50));
    }
    while (agents.some((a) => !a.ready)) await new Promise((r) => setTimeout(r, 200));
    out.connect_s = round((performance.now() - t0) / 1000);
    out.rss_after_connect_mb = sampler.figures().rssMb;

    const run = async (body: Record<string, unknown>) => {
      const started = performance.now();
      const res = await fetch(`${fleet.http}/api/v1/tasks`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const created = (await res.json()) as any;
      if (res.status !== 201) throw new Error(`task refused: ${JSON.stringify(created.error)}`);
      let task: any;
      do {
        await new Promise((r) => setTimeout(r, 250));
        task = ((await (await fetch(`${fleet.http}/api/v1/tasks/${created.data.id}`, { headers: auth })).json()) as any).data;
      } while (task.state === 'running');
      return { wall_s: round((performance.now() - started) / 1000), state: task.state, hosts: task.hosts };
    };

    const hostIds = db.agents.map((a) => a.hostId);
    out.command = await run({ action: { kind: 'shell', command: 'uptime' }, targets: { host_ids: hostIds }, batch_size: BATCH });
    out.rss_after_command_mb = sampler.figures().rssMb;

    const file = randomBytes(FILE_BYTES);
    const up0 = performance.now();
    const up = await fetch(`${fleet.http}/api/v1/files?name=bench.bin`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: file,
    });
    const sha = ((await up.json()) as any).data.file.sha256;
    out.upload_s = round((performance.now() - up0) / 1000);
    out.file = await run({
      action: { kind: 'file', sha256: sha, path: '/tmp/aw-bench-target', mode: 0o644 },
      targets: { host_ids: hostIds.slice(0, FILE_AGENTS) },
      timeout_s: 3600,
    });
    const bytes = agents.reduce((s, a) => s + a.downloaded, 0);
    (out.file as any).downloaded_gib = round(bytes / 2 ** 30);
    (out.file as any).throughput_mib_s = round(bytes / 2 ** 20 / (out.file as any).wall_s);
    (out.file as any).resumed_downloads = agents.reduce((s, a) => s + a.resumed, 0);
    out.server_peak_rss_mb = sampler.figures().rssMb;
  } finally {
    agents.forEach((a) => a.stop());
    sampler.stop();
    await fleet.stop();
    await db.drop();
    rmSync(runDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

const round = (n: number) => Math.round(n * 100) / 100;

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
