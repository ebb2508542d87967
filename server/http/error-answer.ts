/**
 * The one place an error kind becomes an HTTP status (and its hints become headers): the domain says
 * what went wrong, the edge says it in HTTP. scripts/error-codes.ts reads STATUS_OF to list the
 * catalogue's statuses.
 */
import type { AppError, ErrorKind } from '../errors.js';

export const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  not_supported: 405,
  conflict: 409,
  gone: 410,
  precondition_failed: 412,
  too_large: 413,
  unsupported_format: 415,
  unprocessable: 422,
  precondition_required: 428,
  too_many: 429,
  internal: 500,
  unavailable: 503,
};

const CHALLENGE = {
  bearer: 'Bearer realm="autowatch"',
  bearer_invalid_token: 'Bearer realm="autowatch", error="invalid_token"',
} as const;

export const statusOf = (err: AppError): number => STATUS_OF[err.kind];

export function headersOf(err: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  const hints = err.hints;
  if (!hints) return headers;
  if (hints.retryAfterS !== undefined) headers['Retry-After'] = String(hints.retryAfterS);
  if (hints.challenge) headers['WWW-Authenticate'] = CHALLENGE[hints.challenge];
  if (hints.allowed) headers.Allow = hints.allowed.join(', ');
  return headers;
}
