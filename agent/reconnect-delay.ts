/** How long an agent waits before connecting again. Shared with the load generator's simulated agents. */
import { CloseCode } from '../server/protocol/close-codes.js';

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base·2^attempt)]. */
export const backoffDelay = (attempt: number, baseMs: number, capMs: number, random = Math.random) =>
  Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));

/** Window over which a fleet told "server shutting down" spreads its reconnects. */
export const SHUTDOWN_SPREAD_MS = 10_000;

/**
 * A server that shuts down closes every agent at the same instant: with plain backoff (a first delay
 * under one second) thousands would hit the next node together. They spread over a wider window
 * instead; any other close backs off exponentially as usual.
 */
export function reconnectDelay(closeCode: number, attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  if (closeCode === CloseCode.SERVER_SHUTDOWN && attempt === 0) return Math.floor(random() * SHUTDOWN_SPREAD_MS);
  return backoffDelay(attempt, baseMs, capMs, random);
}
