/**
 * The agent's identity on disk: id, HMAC key and the server's pinned signing key. Written with
 * mode 0600 and renamed into place, so a crash never leaves half a key file.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentIdentity {
  agentId: string;
  hostId: string;
  /** HMAC-SHA256 key, base64. */
  secret: string;
  /** ed25519 key the server signs tasks with, base64, pinned at enrollment. */
  serverSignPublicKey: string;
  server: string;
  enrolledAt: string;
}

const FILE = 'identity.json';

export function loadIdentity(stateDir: string): AgentIdentity | null {
  try {
    return JSON.parse(readFileSync(join(stateDir, FILE), 'utf8')) as AgentIdentity;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${join(stateDir, FILE)}: ${(err as Error).message}`);
  }
}

export function saveIdentity(stateDir: string, identity: AgentIdentity): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tmp = join(stateDir, `${FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(identity, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, join(stateDir, FILE));
}
