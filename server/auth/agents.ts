/** Agent records: the key the gateway verifies frames with, and the pending/active/revoked state. */
import { AppError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Db } from '../store/db.js';

export type AgentState = 'pending' | 'active' | 'revoked';

export interface AgentCredentials {
  id: string;
  hostId: string;
  secret: Buffer;
  state: AgentState;
}

export interface AgentRecord {
  id: string;
  host_id: string;
  state: AgentState;
  hostname: string;
  agent_version: string;
  os: string;
  machine_id: string;
  enrolled_at: Date;
  approved_at: Date | null;
  revoked_at: Date | null;
  last_seen_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

export class AgentDirectory {
  constructor(private readonly db: Db, private readonly bus: EventBus) {}

  async credentials(agentId: string): Promise<AgentCredentials | null> {
    return (await this.credentialsOf([agentId])).get(agentId) ?? null;
  }

  /** Keys of many agents in one query (the gateway batches connection storms); unknown ids are absent. */
  async credentialsOf(agentIds: string[]): Promise<Map<string, AgentCredentials>> {
    const ids = agentIds.filter(isUuid).map((id) => id.toLowerCase());
    const out = new Map<string, AgentCredentials>();
    if (!ids.length) return out;
    const { rows } = await this.db.query<{ id: string; host_id: string; secret: Uint8Array; state: AgentState }>(
      'SELECT id, host_id, secret, state FROM agents WHERE id = ANY($1::uuid[])',
      [ids],
    );
    for (const r of rows) out.set(r.id, { id: r.id, hostId: r.host_id, secret: Buffer.from(r.secret), state: r.state });
    // Answer under the spelling asked for: the agent's header may use upper-case hex.
    for (const id of agentIds) if (!out.has(id) && out.has(id.toLowerCase())) out.set(id, out.get(id.toLowerCase())!);
    return out;
  }

  /** A page ordered by id (keyset: `after` is the last id of the previous page). */
  async list(opts: { limit: number; after?: string; state?: AgentState }): Promise<{ rows: AgentRecord[]; total: number }> {
    const { rows } = await this.db.query<AgentRecord>(
      `SELECT id, host_id, state, hostname, agent_version, os, machine_id, enrolled_at, approved_at, revoked_at, last_seen_at
         FROM agents WHERE ($1::uuid IS NULL OR id > $1) AND ($2::text IS NULL OR state = $2)
        ORDER BY id LIMIT $3`,
      [opts.after ?? null, opts.state ?? null, opts.limit],
    );
    const total = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM agents WHERE ($1::text IS NULL OR state = $1)', [opts.state ?? null]);
    return { rows, total: total.rows[0].n };
  }

  /** What the agent said of itself in its hello. */
  async recordHello(agentId: string, hello: { hostname: string; agentVersion: string; os?: string; machineId?: string }): Promise<void> {
    await this.db.query(
      'UPDATE agents SET hostname = $2, agent_version = $3, os = $4, machine_id = $5, last_seen_at = now() WHERE id = $1',
      [agentId, hello.hostname, hello.agentVersion, hello.os ?? '', hello.machineId ?? ''],
    );
  }

  async get(agentId: string): Promise<AgentRecord> {
    if (!isUuid(agentId)) throw new AppError('AGENT_NOT_FOUND', 404, 'agent not found');
    const { rows } = await this.db.query<AgentRecord>(
      `SELECT id, host_id, state, hostname, agent_version, os, machine_id, enrolled_at, approved_at, revoked_at, last_seen_at
         FROM agents WHERE id = $1`,
      [agentId],
    );
    if (!rows[0]) throw new AppError('AGENT_NOT_FOUND', 404, 'agent not found');
    return rows[0];
  }

  async approve(agentId: string, by: string): Promise<AgentRecord> {
    const agent = await this.get(agentId);
    if (agent.state !== 'pending') {
      throw new AppError('AGENT_NOT_PENDING', 409, `agent is ${agent.state}, only a pending agent can be approved`);
    }
    await this.db.query(
      "UPDATE agents SET state = 'active', approved_at = now(), approved_by = $2 WHERE id = $1 AND state = 'pending'",
      [agentId, by],
    );
    this.bus.emit('agent.approved', { agentId });
    return this.get(agentId);
  }

  async revoke(agentId: string, by: string): Promise<AgentRecord> {
    const agent = await this.get(agentId);
    if (agent.state === 'revoked') throw new AppError('AGENT_ALREADY_REVOKED', 409, 'agent is already revoked');
    await this.db.query("UPDATE agents SET state = 'revoked', revoked_at = now(), revoked_by = $2 WHERE id = $1", [agentId, by]);
    this.bus.emit('agent.revoked', { agentId });
    return this.get(agentId);
  }

  /** Record when agents were last heard from; called in batches by the gateway. */
  async touch(agentIds: string[], at: Date): Promise<void> {
    if (!agentIds.length) return;
    await this.db.query('UPDATE agents SET last_seen_at = $2 WHERE id = ANY($1::uuid[])', [agentIds, at]);
  }
}
