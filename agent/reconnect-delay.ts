/** How long an agent waits before connecting again. Shared with the load generator's simulated agents. */
import { CloseCode } from '../protocol/close-codes.js';

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base·2^attempt)]. */
export const backoffDelay = (attempt: number, baseMs: number, capMs: number, random = Math.random) =>
  Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));

/** Window over which a fleet told "server shutting down" spreads its reconnects. */
export const SHUTDOWN_SPREAD_MS = 10_000;

/** After a server shutdown, retries stay this frequent: a replacement is expected within seconds. */
export const AFTER_SHUTDOWN_CAP_MS = 4_000;

/**
 * A server that shuts down closes every agent at the same instant: with plain backoff (a first delay
 * under one second) thousands would hit the next node together. They spread over a wider window
 * instead, and while the replacement starts (`afterShutdown`: no session since) they retry at most
 * every few seconds rather than backing off for a minute. Any other close backs off exponentially.
 */
export function reconnectDelay(closeCode: number, attempt: number, baseMs: number, capMs: number, random = Math.random, afterShutdown = false): number {
  if (closeCode === CloseCode.SERVER_SHUTDOWN && attempt === 0) return Math.floor(random() * SHUTDOWN_SPREAD_MS);
  return backoffDelay(attempt, baseMs, afterShutdown ? Math.min(capMs, AFTER_SHUTDOWN_CAP_MS) : capMs, random);
}
