/**
 * In-process domain events: domain modules announce, the gateway and others react. In cluster mode
 * the same events are relayed between nodes (see store/redis), so a revoke on node B reaches node A.
 */
import { EventEmitter } from 'node:events';

export interface DomainEvents {
  'agent.approved': { agentId: string };
  'agent.revoked': { agentId: string };
  /** An agent's configuration changed: the node holding it pushes the new one. */
  'agent.config': { agentId: string };
}

export class EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(100);

  emit<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends keyof DomainEvents>(name: K, listener: (payload: DomainEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
