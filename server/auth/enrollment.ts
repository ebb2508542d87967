/**
 * Agent enrollment, the server's side. An admin makes a token; an agent presents it once with a fresh
 * nacl box public key and receives its id and HMAC key sealed in a box only it can open
 * (protocol/enrollment.ts), so the key never crosses the wire in clear even without TLS. (The token itself
 * is a bearer secret: whoever holds it may enroll, which is why tokens expire and have a use count.)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import nacl from 'tweetnacl';
import { addAgentHost } from '../cmdb/hosts.js';
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { EventBus } from '../events.js';
import type { EnrollmentRequest, EnrollmentResult } from '../../protocol/enrollment.js';

export const TOKEN_PREFIX = 'awe_';

export interface EnrollmentTokenInput {
  createdBy: string;
  ttlSeconds?: number;
  uses?: number;
  note?: string;
  /** Agents enrolled with this token start active instead of waiting for approval. */
  autoApprove?: boolean;
}

export interface EnrollmentToken {
  id: string;
  token: string;
  expiresAt: Date;
  uses: number;
  autoApprove: boolean;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest();

export async function createEnrollmentToken(db: Db, input: EnrollmentTokenInput): Promise<EnrollmentToken> {
  const token = TOKEN_PREFIX + randomBytes(24).toString('base64url');
  const id = 'et_' + randomBytes(6).toString('hex');
  const uses = input.uses ?? 1;
  const expiresAt = new Date(Date.now() + (input.ttlSeconds ?? 24 * 3600) * 1000);
  const autoApprove = input.autoApprove ?? false;
  await db.query('INSERT INTO enrollment_tokens (id, token_hash, note, created_by, expires_at, uses_left, auto_approve) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    id,
    hashToken(token),
    input.note ?? '',
    input.createdBy,
    expiresAt,
    uses,
    autoApprove,
  ]);
  return { id, token, expiresAt, uses, autoApprove };
}

export async function enrollAgent(
  db: Db,
  req: EnrollmentRequest,
  opts: { autoApprove: boolean; serverSignPublicKey: Uint8Array; requestId?: string },
): Promise<EnrollmentResult> {
  const agentPublic = Buffer.from(req.publicKey, 'base64');
  if (agentPublic.length !== nacl.box.publicKeyLength) {
    throw new AppError('ENROLL_BAD_KEY', 'invalid', 'publicKey must be a 32-byte nacl box public key in base64');
  }
  const secret = randomBytes(32);
  const agentId = randomUUID();
  const hostId = randomUUID();

  const state = await db.tx(async (q) => {
    const used = await q.query<{ id: string; auto_approve: boolean }>(
      `UPDATE enrollment_tokens SET uses_left = uses_left - 1
        WHERE token_hash = $1 AND uses_left > 0 AND revoked_at IS NULL AND expires_at > now()
        RETURNING id, auto_approve`,
      [hashToken(req.token)],
    );
    if (!used.rows.length) {
      throw new AppError('ENROLL_TOKEN_INVALID', 'unauthenticated', 'enrollment token is unknown, expired, revoked or used up');
    }
    const approved = opts.autoApprove || used.rows[0].auto_approve;
    const state = approved ? 'active' : 'pending';
    await addAgentHost(q, hostId, req.hostname, { kind: 'agent', id: agentId, requestId: opts.requestId });
    await q.query(
      `INSERT INTO agents (id, host_id, secret, state, hostname, agent_version, os, machine_id, token_id, approved_at, approved_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        agentId,
        hostId,
        secret,
        state,
        req.hostname,
        req.agentVersion ?? '',
        req.os ?? '',
        req.machineId ?? '',
        used.rows[0].id,
        approved ? new Date() : null,
        approved ? `token:${used.rows[0].id}` : null,
      ],
    );
    return state;
  });

  const ephemeral = nacl.box.keyPair();
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const sealed = nacl.box(secret, nonce, agentPublic, ephemeral.secretKey);
  return {
    agentId,
    hostId,
    state,
    serverBoxPublicKey: Buffer.from(ephemeral.publicKey).toString('base64'),
    nonce: Buffer.from(nonce).toString('base64'),
    sealedSecret: Buffer.from(sealed).toString('base64'),
    serverSignPublicKey: Buffer.from(opts.serverSignPublicKey).toString('base64'),
  };
}

/** Enrollment for the routes: tokens made and spent on this node's database. */
export class Enrollment {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  createToken(input: EnrollmentTokenInput): Promise<EnrollmentToken> {
    return createEnrollmentToken(this.db, input);
  }

  async enroll(req: EnrollmentRequest, opts: { autoApprove: boolean; serverSignPublicKey: Uint8Array; requestId?: string }): Promise<EnrollmentResult> {
    const result = await enrollAgent(this.db, req, opts);
    // Approved by its token: every node learns of a new active agent as it would of an approval.
    if (result.state === 'active') this.bus.emit('agent.approved', { agentId: result.agentId });
    return result;
  }
}
