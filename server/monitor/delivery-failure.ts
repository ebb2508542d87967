/**
 * What the delivery log says about a failed attempt. Viewers read `last_error`, so it holds a fixed
 * phrase chosen here from error codes and status numbers, never text the remote end sent (an SMTP
 * greeting, an HTTP body): otherwise a channel pointed at an internal service would read its banner
 * out to anyone with monitor:read. The full error goes to the server log only.
 */
import { getSystemErrorName } from 'node:util';

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EAI_NODATA: 'host name not found',
};

const systemName = (errno: unknown): string | undefined => {
  if (typeof errno !== 'number' || errno >= 0) return undefined;
  try {
    return getSystemErrorName(errno);
  } catch {
    return undefined;
  }
};

/** Codes are identifiers made on this side (Node, OpenSSL, nodemailer); anything else is not repeated. */
const ownCode = (code: unknown): string | undefined => (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : undefined);

export function describeDeliveryFailure(err: unknown): string {
  const e = (err ?? {}) as { code?: unknown; errno?: unknown; name?: unknown; responseCode?: unknown; command?: unknown; cause?: unknown };
  if (e.code === 'EGRESS_FORBIDDEN') return 'target address forbidden by egress policy';
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'ABORT_ERR') return 'timed out';
  // nodemailer: a numbered SMTP reply; the number and our own command say enough.
  if (typeof e.responseCode === 'number') {
    const command = typeof e.command === 'string' && /^[A-Z][A-Z ]{0,19}$/.test(e.command) ? ` to ${e.command}` : '';
    return `SMTP server refused${command}: ${e.responseCode}`;
  }
  if (e.code === 'EPROTOCOL') return 'not an SMTP server (unexpected greeting)';
  if (e.code === 'EAUTH') return 'SMTP authentication failed';
  if (e.code === 'ETLS' || (typeof e.code === 'string' && /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(e.code))) {
    return `TLS failed${e.code === 'ETLS' ? '' : ` (${e.code})`}`;
  }
  // nodemailer relabels socket errors ESOCKET / ECONNECTION; errno still names the cause.
  const code = ownCode(e.code);
  const socketError = SOCKET_ERRORS[code ?? ''] ?? SOCKET_ERRORS[systemName(e.errno) ?? ''];
  if (socketError) return socketError;
  if (e.cause && e.cause !== err) return describeDeliveryFailure(e.cause);
  return code ? `delivery failed (${code})` : 'delivery failed';
}

/** An answer that is not 2xx: its status only. */
export const describeHttpStatus = (status: number): string =>
  status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
