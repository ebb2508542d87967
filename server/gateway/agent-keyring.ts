/**
 * Every agent's key in memory, so admitting an agent never waits on the database: loaded once at
 * start (57,000 agents are ~20 MB), kept current by approvals and revocations (relayed across the
 * cluster), and completed on a miss (an agent enrolled after the load, or on another node) by a
 * batched lookup. An id the database does not know is remembered as unknown for a while, in a
 * bounded set, so a flood of made-up ids cannot turn into a flood of queries.
 */
import type { AgentCredentials, AgentDirectory } from '../auth/agents.js';
import type { EventBus } from '../events.js';
import { LookupBatcher } from '../store/lookup-batcher.js';

const UNKNOWN_TTL_MS = 30_000;
const MAX_UNKNOWN = 100_000;

export class AgentKeyring {
  private readonly keys = new Map<string, AgentCredentials>();
  private unknown = new Map<string, number>();
  private readonly lookups: LookupBatcher<string, AgentCredentials>;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly directory: AgentDirectory,
    bus: EventBus,
  ) {
    this.lookups = new LookupBatcher((ids) => directory.credentialsOf(ids), { maxKeys: 500, maxWaitMs: 2 });
    this.unsubscribe = [
      bus.on('agent.approved', ({ agentId }) => this.setState(agentId, 'active')),
      bus.on('agent.revoked', ({ agentId }) => this.setState(agentId, 'revoked')),
    ];
  }

  /** Loads every agent's key; until it resolves, lookups go to the database. */
  async load(): Promise<number> {
    for (const cred of await this.directory.allCredentials()) if (!this.keys.has(cred.id)) this.keys.set(cred.id, cred);
    return this.keys.size;
  }

  /** The key of a known agent, at once; undefined when it must be looked up. */
  known(agentId: string): AgentCredentials | undefined {
    return this.keys.get(agentId);
  }

  /** The database's answer for an id not in memory; null when no such agent exists. */
  async lookup(agentId: string): Promise<AgentCredentials | null> {
    const until = this.unknown.get(agentId);
    if (until !== undefined && until > Date.now()) return null;
    const cred = await this.lookups.get(agentId);
    if (cred) {
      this.keys.set(agentId, cred);
      this.unknown.delete(agentId);
      return cred;
    }
    if (this.unknown.size >= MAX_UNKNOWN) this.unknown = new Map();
    this.unknown.set(agentId, Date.now() + UNKNOWN_TTL_MS);
    return null;
  }

  get size(): number {
    return this.keys.size;
  }

  stop(): void {
    this.unsubscribe.forEach((u) => u());
  }

  private setState(agentId: string, state: AgentCredentials['state']): void {
    const cred = this.keys.get(agentId);
    if (cred) cred.state = state;
  }
}
