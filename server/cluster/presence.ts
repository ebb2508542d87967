/**
 * Presence: which agents have a live session, here or on another node. The cluster implements it
 * (over Redis, or alone without it); the gateway reports sessions to it and the monitor and the
 * task service ask it, so none of them needs to know whether there are other nodes.
 */
export interface Presence {
  /** Which of these agents have a live session on some node. */
  onlineOf(agentIds: string[]): Promise<Set<string>>;
  /** Is this agent's session on this node? Its data arrives here. */
  heldHere(agentId: string): boolean;
  /** The gateway calls these as sessions start and end on this node. */
  agentOnline(agentId: string): void;
  agentOffline(agentId: string): void;
}
