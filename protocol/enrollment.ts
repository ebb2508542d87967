/**
 * Enrollment on the wire. An agent presents a token once with a fresh nacl box public key and receives
 * its id and HMAC key sealed in a box only it can open, so the key never crosses the wire in clear even
 * without TLS. The server's side (tokens, the database) is server/auth/enrollment.ts.
 */
import nacl from 'tweetnacl';

export interface EnrollmentRequest {
  token: string;
  /** The agent's nacl box public key, 32 bytes, base64. */
  publicKey: string;
  hostname: string;
  os?: string;
  machineId?: string;
  agentVersion?: string;
}

export interface EnrollmentResult {
  agentId: string;
  hostId: string;
  state: 'pending' | 'active';
  /** Ephemeral server box public key, nonce and sealed secret, base64. */
  serverBoxPublicKey: string;
  nonce: string;
  sealedSecret: string;
  /** ed25519 key tasks are signed with; the agent pins it. */
  serverSignPublicKey: string;
}

/** Agent side: open the sealed secret with the agent's box secret key. */
export function openSealedSecret(result: EnrollmentResult, agentSecretKey: Uint8Array): Uint8Array {
  const secret = nacl.box.open(
    Buffer.from(result.sealedSecret, 'base64'),
    Buffer.from(result.nonce, 'base64'),
    Buffer.from(result.serverBoxPublicKey, 'base64'),
    agentSecretKey,
  );
  if (!secret) throw new Error('enrollment answer could not be opened: wrong key or tampered');
  return secret;
}
