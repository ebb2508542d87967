/** What a route declares: the one way to add an API route. */
import type { TSchema, Static } from '@sinclair/typebox';
import type { Principal } from '../auth/principal.js';
import type { Domain } from './wire.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** What a request may carry: a route's method, or HEAD (answered as GET without the body). */
export type RequestMethod = Method | 'HEAD';

/** Scopes name a domain and an action; `admin` implies every scope. */
export type Scope = string;

export interface RequestContext<P = any, Q = any, B = any> {
  requestId: string;
  method: Method;
  path: string;
  params: P;
  query: Q;
  body: B;
  /** Raw body bytes (for routes that declare bodyType 'text' or 'raw', or to verify a signature). */
  rawBody: Buffer;
  headers: Readonly<Record<string, string>>;
  remoteAddress: string;
  principal: Principal | null;
  /** A 'file' body: where it was written, its size and sha256. The router deletes it after the handler unless moved. */
  upload?: UploadedBody;
  /** Set the success status (default 200, or the route's `status`). */
  setStatus(status: number): void;
  setHeader(name: string, value: string): void;
  /** Pagination and other data about `data` (cursor, total). */
  setMeta(meta: Record<string, unknown>): void;
  /**
   * Answer with a stream instead of a value (server-sent events, routes that `produce` one): after
   * the handler returns, the router sends the status and headers and hands the response to `open`.
   */
  stream(open: (out: ResponseStream) => void): void;
  /**
   * Answer this request with the handler's text as is, of this content type, instead of the JSON
   * envelope (a route offering JSON or CSV by Accept or ?format=). Errors are still the envelope.
   */
  answerRaw(type: string): void;
  /** Add to this request's audit record (the username tried at login, the id of what was made). Never secrets. */
  audit(detail: Record<string, unknown>): void;
}

export interface UploadedBody {
  path: string;
  size: number;
  sha256: string;
}

/** A streamed answer: write as long as the client listens; onClose fires when it leaves or end() is called. */
export interface ResponseStream {
  readonly closed: boolean;
  /** False when the client is gone, or when its socket buffer is full (the text is still queued). */
  write(text: string): boolean;
  end(): void;
  onClose(listener: () => void): void;
}

export interface RouteSpec<SP extends TSchema = TSchema, SQ extends TSchema = TSchema, SB extends TSchema = TSchema, SR extends TSchema = TSchema> {
  method: Method;
  /** e.g. '/api/v1/hosts/:id/metrics' */
  path: string;
  summary: string;
  /** Longer text for the OpenAPI document: conventions, caveats. */
  description?: string;
  tag: string;
  /** The scope a caller needs; 'public' routes need none (health, login, enrollment). */
  scope: Scope | 'public';
  params?: SP;
  query?: SQ;
  body?: SB;
  response: SR;
  /** Success status, 200 unless said. */
  status?: number;
  /** 'file': the body is streamed to a temporary file (ctx.upload), never held in memory. */
  bodyType?: 'json' | 'text' | 'raw' | 'file';
  /**
   * Content type of an answer that is not the JSON envelope (the API docs page): the handler
   * returns its text and the router sends it as is. Errors are still the envelope.
   */
  produces?: string;
  /** Body size limit in bytes; the server default otherwise. */
  bodyLimit?: number;
  /** Returns the answer as a record (camelCase, Dates); the router writes it as `response` says (wire.ts). */
  handler: (ctx: RequestContext<Static<SP>, Static<SQ>, Static<SB>>) => Promise<Answer<Static<SR>>> | Answer<Static<SR>>;
}

/** What a handler returns: the answer as a record (camelCase keys, Dates; http/wire.ts). */
type Answer<T> = Domain<T>;

/** Declares a route with its types checked against its schemas. */
export function route<SP extends TSchema, SQ extends TSchema, SB extends TSchema, SR extends TSchema>(spec: RouteSpec<SP, SQ, SB, SR>): RouteSpec {
  return spec as unknown as RouteSpec;
}
