/**
 * Is this error the store being unreachable (worth waiting out) rather than a bad request or a bug?
 * Socket errors, Postgres' connection and shutdown classes (SQLSTATE 08xxx, 57P0x) and node-postgres'
 * own connection messages. What is unreachable answers 503, and ingest queues locally meanwhile.
 */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const PG_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

export function isUnavailableError(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (SOCKET_CODES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code)) return true;
    if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some(isUnavailableError)) return true;
  }
  return false;
}
