/** Agent records: the key the gateway verifies frames with, and the pending/active/revoked state. */
import { AppError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Db } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { WriteBatcher } from '../store/write-batcher.js';
import { keyOrder, keyset, text, uuid, type Page } from '../keyset.js';

/** The orders agents can be listed in (keyset pages). */
export const AGENT_ORDER = keyOrder({ sorts: { id: uuid('id'), hostname: text('hostname') }, defaultSort: 'id', id: uuid('id') });

export type AgentState = 'pending' | 'active' | 'revoked';

export interface AgentCredentials {
  id: string;
  hostId: string;
  secret: Buffer;
  state: AgentState;
}

/**
 * Fields of an agent's self-description that a hello changed, under their column names: this is
 * what the audit trail stores as the change's detail.
 */
export type IdentityChange = Partial<Record<'hostname' | 'agent_version' | 'os' | 'machine_id', { old: string; new: string }>>;

interface AgentRow {
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

export type AgentRecord = RecordOf<AgentRow>;

const AGENT_COLUMNS = 'id, host_id, state, hostname, agent_version, os, machine_id, enrolled_at, approved_at, revoked_at, last_seen_at';

type CredentialsRow = { id: string; host_id: string; secret: Uint8Array; state: AgentState };
const CREDENTIAL_COLUMNS = 'id, host_id, secret, state';

/** Read once per agent as its key is loaded, not per frame. */
function credentialsOf(row: CredentialsRow): AgentCredentials {
  const c = recordOf(row);
  return { ...c, secret: Buffer.from(c.secret) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);
/** A LIKE pattern matching `s` literally. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

const IDENTITY_FIELDS = ['hostname', 'agent_version', 'os', 'machine_id'] as const;
type HelloRow = { id: string } & Record<(typeof IDENTITY_FIELDS)[number], string>;

export class AgentDirectory {
  private readonly hellos = new WriteBatcher<HelloRow, IdentityChange>((items) => this.writeHellos(items), { maxItems: 1000, maxWaitMs: 200 });

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  /**
   * Keys of many agents in one query (the gateway batches connection storms); unknown ids are absent.
   * Answered under the canonical (lower-case) id, the only spelling the gateway asks with.
   */
  async credentialsOf(agentIds: string[]): Promise<Map<string, AgentCredentials>> {
    const ids = agentIds.filter(isUuid).map((id) => id.toLowerCase());
    const out = new Map<string, AgentCredentials>();
    if (!ids.length) return out;
    const { rows } = await this.db.query<CredentialsRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM agents WHERE id = ANY($1::uuid[])`, [ids]);
    for (const r of rows) out.set(r.id, credentialsOf(r));
    return out;
  }

  /** Every agent's key, for the gateway's keyring (one query at start). */
  async allCredentials(): Promise<AgentCredentials[]> {
    const { rows } = await this.db.query<CredentialsRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM agents`);
    return rows.map(credentialsOf);
  }

  /**
   * A keyset page (see http/pagination.ts), optionally only agents whose hostname contains `search`
   * (case-insensitive). The count runs with the same filters; both stay cheap at 50k agents.
   */
  async list(page: Page, filters: { state?: AgentState; search?: string } = {}): Promise<{ rows: AgentRecord[]; total: number }> {
    const params: unknown[] = [filters.state ?? null, filters.search ? `%${escapeLike(filters.search)}%` : null];
    const where = '($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR hostname ILIKE $2)';
    const ks = keyset(page, params);
    const { rows } = await this.db.query<AgentRow>(
      `SELECT ${AGENT_COLUMNS} FROM agents WHERE ${where} AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    const total = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM agents WHERE ${where}`, params.slice(0, 2));
    return { rows: recordsOf(rows), total: total.rows[0].n };
  }

  /** How many agents are in each state. */
  async countByState(): Promise<Record<AgentState, number>> {
    const { rows } = await this.db.query<{ state: AgentState; n: number }>('SELECT state, count(*)::int AS n FROM agents GROUP BY state');
    const out: Record<AgentState, number> = { pending: 0, active: 0, revoked: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /**
   * What the agent said of itself in its hello. Returns the fields that changed, old and new (none on
   * an ordinary reconnect), so a host renamed or an agent replaced leaves a record. Hellos are written
   * in batches: a reconnect storm of 57,000 agents is a few dozen UPDATEs, not 57,000.
   */
  recordHello(agentId: string, hello: { hostname: string; agentVersion: string; os?: string; machineId?: string }): Promise<IdentityChange> {
    const next = { id: agentId, hostname: hello.hostname, agent_version: hello.agentVersion, os: hello.os ?? '', machine_id: hello.machineId ?? '' };
    return this.hellos.add(next).then((change) => change ?? {});
  }

  private async writeHellos(items: HelloRow[]): Promise<IdentityChange[]> {
    // One row per agent (the latest hello) so the UPDATE touches each once.
    const latest = new Map(items.map((h) => [h.id, h]));
    const rows = [...latest.values()];
    const { rows: old } = await this.db.query<HelloRow>(
      // Rows locked in id order first: this batch and the last-seen flush (touch) lock the same rows,
      // and in different orders they deadlocked under a reconnect storm of 57,000 agents.
      `WITH locked AS (SELECT id FROM agents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
       UPDATE agents a SET hostname = u.hostname, agent_version = u.agent_version, os = u.os, machine_id = u.machine_id, last_seen_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, hostname, agent_version, os, machine_id),
              LATERAL (SELECT hostname, agent_version, os, machine_id FROM agents WHERE id = u.id) old
        WHERE a.id = u.id AND a.id IN (SELECT id FROM locked)
        RETURNING a.id::text AS id, old.hostname, old.agent_version, old.os, old.machine_id`,
      [rows.map((r) => r.id), rows.map((r) => r.hostname), rows.map((r) => r.agent_version), rows.map((r) => r.os), rows.map((r) => r.machine_id)],
    );
    const before = new Map(old.map((r) => [r.id, r]));
    return items.map((item) => {
      const change: IdentityChange = {};
      const was = item === latest.get(item.id) ? before.get(item.id) : undefined;
      if (!was) return change;
      for (const k of IDENTITY_FIELDS) if (was[k] !== item[k]) change[k] = { old: was[k], new: item[k] };
      return change;
    });
  }

  async get(agentId: string): Promise<AgentRecord> {
    if (!isUuid(agentId)) throw new AppError('AGENT_NOT_FOUND', 'not_found', 'agent not found');
    const { rows } = await this.db.query<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1`, [agentId]);
    if (!rows[0]) throw new AppError('AGENT_NOT_FOUND', 'not_found', 'agent not found');
    return recordOf(rows[0]);
  }

  async approve(agentId: string, by: string): Promise<AgentRecord> {
    const agent = await this.get(agentId);
    if (agent.state !== 'pending') {
      throw new AppError('AGENT_NOT_PENDING', 'conflict', `agent is ${agent.state}, only a pending agent can be approved`);
    }
    await this.db.query("UPDATE agents SET state = 'active', approved_at = now(), approved_by = $2 WHERE id = $1 AND state = 'pending'", [agentId, by]);
    this.bus.emit('agent.approved', { agentId });
    return this.get(agentId);
  }

  async revoke(agentId: string, by: string): Promise<AgentRecord> {
    const agent = await this.get(agentId);
    if (agent.state === 'revoked') throw new AppError('AGENT_ALREADY_REVOKED', 'conflict', 'agent is already revoked');
    await this.db.query("UPDATE agents SET state = 'revoked', revoked_at = now(), revoked_by = $2 WHERE id = $1", [agentId, by]);
    this.bus.emit('agent.revoked', { agentId });
    return this.get(agentId);
  }

  /** Record when agents were last heard from; called in batches by the gateway. */
  async touch(agentIds: string[], at: Date): Promise<void> {
    if (!agentIds.length) return;
    // Locked in id order, as writeHellos does (see there).
    await this.db.query(
      'WITH locked AS (SELECT id FROM agents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE) UPDATE agents SET last_seen_at = $2 WHERE id IN (SELECT id FROM locked)',
      [agentIds, at],
    );
  }
}
