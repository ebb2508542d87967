/**
 * What a host needs to join the fleet, without a login (docs/agent.md):
 *   GET /downloads/autowatch-agent.mjs          the agent bundle (npm run build:agent)
 *   GET /downloads/autowatch-agent.mjs.sha256   its SHA-256, as `sha256sum` prints it
 *   GET /downloads/install.sh                   scripts/install.sh with this server's address written in
 * The bundle is read again when the file changes on disk, so a rebuild is served (and offered to
 * agent-upgrade tasks) without a restart. Nothing here is secret: the bundle holds no key, and an agent
 * enrolls only with a token.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';

export interface ServedAgent {
  version: string;
  sha256: string;
  size: number;
  body: Buffer;
}

/** The bundle's second line is `// autowatch-agent VERSION` (scripts/build-agent.ts). */
const VERSION_LINE = /^(?:#![^\n]*\n)?\/\/ autowatch-agent ([0-9A-Za-z.+-]{1,64})\n/;

export class AgentBundle {
  private cached: { key: string; agent: ServedAgent } | undefined;

  constructor(readonly path: string) {}

  /** The bundle as it is on disk now; undefined when it is not built (or not a bundle). */
  current(): ServedAgent | undefined {
    let key: string;
    try {
      const s = statSync(this.path);
      key = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return (this.cached = undefined);
    }
    if (this.cached?.key === key) return this.cached.agent;
    const body = readFileSync(this.path);
    const version = VERSION_LINE.exec(body.subarray(0, 256).toString('utf8'))?.[1];
    if (!version) return (this.cached = undefined);
    const agent = { version, sha256: createHash('sha256').update(body).digest('hex'), size: body.length, body };
    this.cached = { key, agent };
    return agent;
  }
}

/** An agent that named a version other than the served one (none served, or none named: not outdated). */
export const agentOutdated = (version: string | null, served: string | undefined): boolean => !!served && !!version && version !== served;

/** Characters a Host header may hold before it is written into a shell script. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** The address install.sh fetches from and the agent connects to: the public URL, else the Host the request came to. */
export function installServerUrl(publicUrl: string | undefined, hostHeader: string, fallback: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  if (SAFE_HOST.test(hostHeader)) return `http://${hostHeader}`;
  return fallback.replace(/\/+$/, '');
}

/** The script with its `server=''` line filled in; the URL is single-quoted, so it must hold no quote. */
export function fillInstallScript(script: string, serverUrl: string): string {
  if (!/^https?:\/\/[^'\s]+$/.test(serverUrl)) throw new Error(`server URL ${serverUrl} cannot be written into install.sh`);
  return script.replace(/^server=''$/m, `server='${serverUrl}'`);
}

export function serveAgentDownloads(
  app: TemplatedApp,
  deps: { bundle: AgentBundle; installScriptPath: string; publicUrl: string | undefined; fallbackUrl: () => string },
): void {
  const notBuilt = (res: HttpResponse) =>
    send(res, '404 Not Found', 'text/plain; charset=utf-8', 'the agent bundle is not built on this server (npm run build:agent)\n');

  app.get('/downloads/autowatch-agent.mjs', (res) => {
    const agent = deps.bundle.current();
    if (!agent) return notBuilt(res);
    send(res, '200 OK', 'text/javascript; charset=utf-8', agent.body, { 'x-autowatch-agent-version': agent.version, etag: `"${agent.sha256}"` });
  });
  app.get('/downloads/autowatch-agent.mjs.sha256', (res) => {
    const agent = deps.bundle.current();
    if (!agent) return notBuilt(res);
    send(res, '200 OK', 'text/plain; charset=utf-8', `${agent.sha256}  autowatch-agent.mjs\n`, { 'x-autowatch-agent-version': agent.version });
  });
  app.get('/downloads/install.sh', (res, req) => {
    const url = installServerUrl(deps.publicUrl, req.getHeader('host'), deps.fallbackUrl());
    send(res, '200 OK', 'text/x-shellscript; charset=utf-8', fillInstallScript(readFileSync(deps.installScriptPath, 'utf8'), url));
  });
}

function send(res: HttpResponse, status: string, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', type).writeHeader('cache-control', 'no-cache').writeHeader('x-content-type-options', 'nosniff');
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(body);
  });
}
