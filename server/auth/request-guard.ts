/**
 * What the API router asks of authentication, said in auth's terms: the router (http/) hands each
 * request's headers to a RequestGuard (guard.ts builds the one the server uses) and gets back who is
 * calling. Declared here so auth needs nothing of http/.
 */
import type { Principal } from './principal.js';

/** The parts of a request its credentials are read from (the router's IncomingRequest is one). */
export interface GuardedRequest {
  method: string;
  path: string;
  rawQuery: string;
  headers: Readonly<Record<string, string>>;
  remoteAddress: string;
}

/** Inspects a request before its route runs: authentication, rate limits. */
export interface RequestGuard {
  /** From the headers alone (the body is not read yet): who is calling, or throws AppError (bad credentials, too many). */
  authenticate(req: GuardedRequest): Promise<Authentication>;
  /** Called after authentication, still before the body; may throw AppError (too many). */
  admit?(req: GuardedRequest, principal: Principal | null): Promise<void> | void;
}

export interface Authentication {
  /** Null when anonymous. */
  principal: Principal | null;
  /** Credentials that cover the body (a signature over its hash): called once the body is read; throws AppError. */
  checkBody?(body: BodyDigest): void;
}

export interface BodyDigest {
  size: number;
  /** Lower-case hex. */
  sha256: string;
}
