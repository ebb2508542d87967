/**
 * Agent keys the gateway has looked up, least recently used dropped first: a flood of connections
 * naming random agent ids must not grow memory without bound. Ids are canonical (lower case) before
 * they get here, so one agent has one entry however its id was spelled.
 */
import type { AgentCredentials } from '../auth/agents.js';

export class CredentialCache {
  private readonly entries = new Map<string, AgentCredentials>();

  constructor(private readonly maxEntries: number) {}

  get(agentId: string): AgentCredentials | undefined {
    const hit = this.entries.get(agentId);
    if (hit) {
      // Map keeps insertion order: re-inserting moves the entry to the young end.
      this.entries.delete(agentId);
      this.entries.set(agentId, hit);
    }
    return hit;
  }

  set(agentId: string, credentials: AgentCredentials): void {
    this.entries.delete(agentId);
    this.entries.set(agentId, credentials);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(agentId: string): void {
    this.entries.delete(agentId);
  }

  get size(): number {
    return this.entries.size;
  }
}
