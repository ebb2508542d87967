/**
 * Server processes for a run: K `node dist/server/main.js` on one port (uWS listens with SO_REUSEPORT,
 * so the kernel spreads connections over them). The build is what `make run` starts, brought up to date
 * first (incremental tsc, as the Makefile): run from source through tsx, each process would hold ~50 MB
 * more (the transformed sources and their source maps) and the memory figures would not be production's.
 * Each one's log goes to a file in the run folder; at the end they get SIGTERM, then SIGKILL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export interface ServerFleet {
  pids: number[];
  ws: string;
  http: string;
  logFiles: string[];
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 70_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Socket inodes listening on `port` (IPv4 or IPv6), from /proc/net/tcp*. */
function listeningInodes(port: number): Set<string> {
  const out = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && f[1].endsWith(`:${hexPort}`)) out.add(f[9]);
    }
  }
  return out;
}

/** Does process `pid` itself hold a socket listening on `port`? (With SO_REUSEPORT, a health check on the port cannot tell.) */
function listensOn(pid: number, port: number): boolean {
  const inodes = listeningInodes(port);
  if (!inodes.size) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) return true;
    } catch {
      // fd closed while we looked
    }
  }
  return false;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

let built = false;

/** Compiles the server into dist/ when a source changed since the last build (tsc's incremental build); once a process. */
function buildServer(repoRoot: string): void {
  if (built) return;
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', '.', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  built = true;
}

export async function startServers(opts: { count: number; port: number; env: NodeJS.ProcessEnv; runDir: string; repoRoot: string }): Promise<ServerFleet> {
  buildServer(opts.repoRoot);
  const children: ChildProcess[] = [];
  const logFiles: string[] = [];
  const stop = async () => {
    const alive = children.filter((c) => !exited(c));
    const gone = alive.map((c) => new Promise<void>((r) => (exited(c) ? r() : c.once('exit', () => r()))));
    for (const c of alive) c.kill('SIGTERM');
    const timer = setTimeout(() => alive.forEach((c) => !exited(c) && c.kill('SIGKILL')), STOP_TIMEOUT_MS);
    await Promise.all(gone);
    clearTimeout(timer);
  };
  try {
    for (let k = 0; k < opts.count; k++) {
      const logFile = join(opts.runDir, `server-${k + 1}.log`);
      const fd = openSync(logFile, 'a');
      // AW_BENCH_PROFILE_DIR=<dir>: each server writes a V8 CPU profile there when it exits (chrome://inspect, speedscope).
      const profile = opts.env.AW_BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${opts.env.AW_BENCH_PROFILE_DIR}`] : [];
      // AW_BENCH_HEAP_DIR=<dir>: each server writes a heap snapshot there when run.ts signals it (mid-window).
      const heap = opts.env.AW_BENCH_HEAP_DIR ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${opts.env.AW_BENCH_HEAP_DIR}`] : [];
      // AW_BENCH_NODE_ARGS="--flag ...": V8/Node flags for the servers, to compare (e.g. heap settings).
      const nodeArgs = (opts.env.AW_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
      const child = spawn(process.execPath, [...profile, ...heap, ...nodeArgs, 'dist/server/main.js'], {
        cwd: opts.repoRoot,
        env: { ...opts.env, PORT: String(opts.port) },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      children.push(child);
      logFiles.push(logFile);
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const [k, child] of children.entries()) {
      while (!listensOn(child.pid!, opts.port)) {
        if (exited(child)) throw new Error(`server ${k + 1} exited (${child.exitCode ?? child.signalCode}) before listening; its log:\n${tail(logFiles[k])}`);
        if (Date.now() > deadline)
          throw new Error(`server ${k + 1} did not listen on port ${opts.port} within ${READY_TIMEOUT_MS / 1000} s; its log:\n${tail(logFiles[k])}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const http = `http://127.0.0.1:${opts.port}`;
    while (true) {
      const ok = await fetch(`${http}/api/v1/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`GET /api/v1/health did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { pids: children.map((c) => c.pid!), ws: `ws://127.0.0.1:${opts.port}/agent`, http, logFiles, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Warnings and errors in the servers' logs (pino JSON lines), by message, most frequent first. */
export function summariseLogs(files: string[]): Array<{ level: string; msg: string; count: number; example?: string }> {
  const counts = new Map<string, { level: string; msg: string; count: number; example?: string }>();
  const levels: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      let level = 'stderr';
      let msg = line.slice(0, 160);
      let example: string | undefined;
      try {
        const rec = JSON.parse(line) as { level?: number; msg?: string; code?: string; err?: { message?: string } };
        level = levels[rec.level ?? 0] ?? 'info';
        msg = `${rec.msg ?? ''}${rec.code ? ` [${rec.code}]` : ''}`;
        example = rec.err?.message?.slice(0, 160);
      } catch {
        // not a pino line: a crash trace or a tsx message
      }
      const key = `${level}\u0000${msg}`;
      const entry = counts.get(key) ?? counts.set(key, { level, msg, count: 0 }).get(key)!;
      entry.count++;
      // The first error's own message says why (a pool timeout, a lock, a refused write).
      entry.example ??= example;
    }
  }
  return [...counts.values()].filter((e) => e.level !== 'info').sort((a, b) => b.count - a.count);
}
