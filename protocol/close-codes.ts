/**
 * WebSocket close codes of the agent protocol: each rejection has its own, so an agent (and an
 * operator reading its log) knows why it was dropped. Agents stop reconnecting on the fatal ones.
 */
export const CloseCode = {
  PROTOCOL_VIOLATION: 4000,
  BAD_SIGNATURE: 4001,
  BAD_SEQUENCE: 4002,
  STALE_TIME: 4003,
  AGENT_UNKNOWN: 4004,
  AGENT_REVOKED: 4005,
  FRAME_TOO_LARGE: 4006,
  FRAME_MALFORMED: 4007,
  UNKNOWN_TYPE: 4008,
  PROTOCOL_UNSUPPORTED: 4009,
  REPLACED: 4011,
  SERVER_FULL: 4012,
  /** The agent kept sending after its frames were refused for rate. */
  RATE_EXCEEDED: 4013,
  HELLO_TIMEOUT: 4014,
  SERVER_SHUTDOWN: 4015,
  /** A store the gateway needs is down; reconnect later. */
  SERVER_UNAVAILABLE: 4016,
} as const;

export type CloseCodeName = keyof typeof CloseCode;

const NAMES = new Map<number, CloseCodeName>(Object.entries(CloseCode).map(([k, v]) => [v, k as CloseCodeName]));
export const closeCodeName = (code: number): CloseCodeName | undefined => NAMES.get(code);

/** Closes after which reconnecting with the same credentials cannot help. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.AGENT_UNKNOWN, CloseCode.AGENT_REVOKED]);
