/**
 * Domain events: domain modules announce, the gateway and others react. In cluster mode every event
 * is also relayed to the other nodes (server/cluster), so a revoke on node B reaches the agent on
 * node A. Events are notices that something changed: a listener acts only on what this node holds
 * (its own agents), so receiving an event on every node does nothing twice.
 */
import { EventEmitter } from 'node:events';

import type { LiveEvent } from './tasks/live-output.js';

export interface DomainEvents {
  /** An agent became active: approved by an admin, or enrolled with a token that approves. */
  'agent.approved': { agentId: string };
  'agent.revoked': { agentId: string };
  /** An agent's configuration changed: the node holding it pushes the new one. */
  'agent.config': { agentId: string };
  /** A task's output chunk or state change, for watchers on every node. */
  'task.live': { taskId: string; event: LiveEvent };
  /** Monitoring templates or their links changed: every node reloads the triggers it evaluates. */
  'monitor.templates': Record<string, never>;
}

export class EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(100);

  private outbound: ((name: keyof DomainEvents, payload: unknown) => void) | undefined;

  emit<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    this.emitter.emit(name, payload);
    this.outbound?.(name, payload);
  }

  /** An event that happened on another node: handled here, not sent out again. */
  receive<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    this.emitter.emit(name, payload);
  }

  /** Where events emitted on this node are also sent (the cluster); undefined stops it. */
  relay(outbound: ((name: keyof DomainEvents, payload: unknown) => void) | undefined): void {
    this.outbound = outbound;
  }

  on<K extends keyof DomainEvents>(name: K, listener: (payload: DomainEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
