/** Enrolling: trade a token for an id and a key, sealed for a box key made for this one exchange. */
import nacl from 'tweetnacl';
import { openSealedSecret } from '../protocol/enrollment.js';
import type { AgentIdentity } from './state.js';

export interface EnrollInput {
  server: string;
  token: string;
  hostname: string;
  os?: string;
  machineId?: string;
  agentVersion: string;
}

/** ws://host:port/agent → http://host:port */
export function httpBase(server: string): string {
  const u = new URL(server);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '';
  return u.origin;
}

export async function enroll(input: EnrollInput): Promise<AgentIdentity> {
  const box = nacl.box.keyPair();
  const res = await fetch(`${httpBase(input.server)}/api/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: input.token,
      public_key: Buffer.from(box.publicKey).toString('base64'),
      hostname: input.hostname,
      os: input.os,
      machine_id: input.machineId,
      agent_version: input.agentVersion,
    }),
  });
  const body = (await res.json().catch(() => null)) as any;
  if (res.status !== 201 || !body?.data) {
    const e = body?.error;
    throw new Error(`enrollment refused (${res.status}${e ? ` ${e.code}: ${e.message}` : ''}; request ${body?.request_id ?? '?'})`);
  }
  const d = body.data;
  const secret = openSealedSecret(
    {
      agentId: d.agent_id,
      hostId: d.host_id,
      state: d.state,
      serverBoxPublicKey: d.server_box_public_key,
      nonce: d.nonce,
      sealedSecret: d.sealed_secret,
      serverSignPublicKey: d.server_sign_public_key,
    },
    box.secretKey,
  );
  return {
    agentId: d.agent_id,
    hostId: d.host_id,
    secret: Buffer.from(secret).toString('base64'),
    serverSignPublicKey: d.server_sign_public_key,
    server: input.server,
    enrolledAt: new Date().toISOString(),
  };
}
