/**
 * What went wrong, in the domain's words. Only server/http/ turns a kind into an HTTP status
 * (http/error-answer.ts), so a codec, a store or a domain module never speaks HTTP.
 */
export type ErrorKind =
  /** The input does not fit: a field, a value, a format. */
  | 'invalid'
  /** Who is calling is unknown or not proven. */
  | 'unauthenticated'
  /** The caller is known but may not do this. */
  | 'forbidden'
  | 'not_found'
  /** The resource exists, the operation on it does not. */
  | 'not_supported'
  /** The current state forbids it: a duplicate, a wrong state, a rule between records. */
  | 'conflict'
  /** It existed and was removed; its history stays. */
  | 'gone'
  /** The version the caller read is no longer the current one. */
  | 'precondition_failed'
  /** The caller must name the version it read before changing it. */
  | 'precondition_required'
  | 'too_large'
  /** The input comes in a form the server does not read. */
  | 'unsupported_format'
  /** Well formed, but none of it can be done (an import with problems in its rows). */
  | 'unprocessable'
  /** A rate limit: try again later. */
  | 'too_many'
  /** A fault of the server's own: a bug or corrupt data. */
  | 'internal'
  /** Something the server needs is down or full: try again later. */
  | 'unavailable';

/** What the caller can do about it, for the edge to say in its own terms (http/: response headers). */
export interface ErrorHints {
  /** Trying again may work after this many seconds. */
  retryAfterS?: number;
  /** The credential to present: a bearer token, or a bearer token because the one sent is not one. */
  challenge?: 'bearer' | 'bearer_invalid_token';
  /** The operations the resource does support (kind not_supported). */
  allowed?: string[];
}

/** The one error type: a stable code, a kind, a message for humans and optional details. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly hints?: ErrorHints,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The server's own fault (retrying may help) rather than the caller's request (resending cannot). */
export const isServerFault = (err: AppError): boolean => err.kind === 'internal' || err.kind === 'unavailable';

export const notFound = (what: string, code = 'NOT_FOUND') => new AppError(code, 'not_found', `${what} not found`);
export const badRequest = (message: string, details?: Record<string, unknown>, code = 'BAD_REQUEST') => new AppError(code, 'invalid', message, details);
export const conflict = (code: string, message: string) => new AppError(code, 'conflict', message);

/** The caller's version is stale: `current` is the version it should read again. */
export function staleVersion(current?: number | string): AppError {
  return new AppError(
    'PRECONDITION_FAILED',
    'precondition_failed',
    'the resource changed since you read it: read it again, re-apply your change and send its new ETag in If-Match',
    current === undefined ? undefined : { current_etag: `"${current}"` },
  );
}
