/**
 * The REST router on uWebSockets.js. Every answer, success or failure, is the one envelope
 * `{ data, error, meta?, request_id }`; every failure has a stable code; every exception thrown by a
 * handler is caught, logged with the request id and answered 500 while the process keeps serving.
 * Order of checks: route → authentication and rate limits → scope → body size → body hash (signed
 * requests) → content type → schema → handler. Everything before the body is decided from the
 * headers, so a caller who may not call a route never gets a byte of body stored or buffered.
 * Request schemas are closed: an object schema that does not say otherwise refuses unknown fields,
 * so every route answers a misspelt field with a 400 naming it. One log line per request carries
 * the request id, the route, the caller, the status and the time taken.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError, isServerFault } from '../errors.js';
import type { Logger } from '../log.js';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { findUnstorable, jsonDepth, PendingBody, readBody, readBodyToFile, RequestAborted, type AbortState } from './body.js';
import { headersOf, statusOf } from './error-answer.js';
import type { Principal } from '../auth/principal.js';
import type { BodyDigest, RequestGuard } from '../auth/request-guard.js';
import type { RequestContext, RequestMethod, ResponseStream, RouteSpec, UploadedBody } from './route.js';
import { compile as compileWire } from './wire.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Told about every finished request: audit records, metrics. */
export type RequestObserver = (done: FinishedRequest) => void;

export interface IncomingRequest {
  requestId: string;
  /** As sent (upper-cased); a method no route has is answered 405 before anything else looks at it. */
  method: RequestMethod;
  path: string;
  rawQuery: string;
  headers: Readonly<Record<string, string>>;
  rawBody: Buffer;
  /** A body streamed to disk (routes with bodyType 'file'). */
  upload?: UploadedBody;
  remoteAddress: string;
  route: RouteSpec | undefined;
}

export interface FinishedRequest extends IncomingRequest {
  principal: Principal | null;
  status: number;
  errorCode: string | null;
  durationMs: number;
  /** Params of the matched route (resource ids for audit records). */
  params: Record<string, string>;
  /** What the handler added with ctx.audit(). */
  detail: Record<string, unknown> | null;
}

export interface RouterOptions {
  log: Logger;
  guard: RequestGuard;
  bodyLimit?: number;
  maxJsonDepth?: number;
  /** Check answers against their response schema (tests): a mismatch is a 500 RESPONSE_INVALID. */
  validateResponses?: boolean;
  /** Where 'file' bodies are streamed to (the same filesystem as their final place, so they can be renamed). */
  uploadDir?: string;
  /** Is this error a store being unreachable (answered 503 DATABASE_UNAVAILABLE)? The store knows its own failures. */
  isUnavailable: (err: unknown) => boolean;
}

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  paramNames: string[];
  params?: ValidateFunction;
  query?: ValidateFunction;
  body?: ValidateFunction;
  response?: ValidateFunction;
  /** Writes the handler's record as the answer schema says (server/http/wire.ts). */
  write: (data: unknown) => unknown;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const newRequestId = () => randomBytes(9).toString('base64url');

export function hasScope(principal: Principal, scope: string): boolean {
  return principal.scopes.has('admin') || principal.scopes.has(scope);
}

export class Router {
  readonly routes: RouteSpec[] = [];
  private compiled: CompiledRoute[] = [];
  private readonly bodyAjv: Ajv;
  private readonly queryAjv: Ajv;
  private readonly observers: RequestObserver[] = [];
  private readonly bodyLimit: number;
  private readonly maxJsonDepth: number;
  private active = 0;

  constructor(private readonly opts: RouterOptions) {
    this.bodyAjv = withFormats(new Ajv({ strict: false, allErrors: false, useDefaults: true, coerceTypes: false }));
    // Query strings and path params arrive as text: let the schema turn "10" into 10.
    this.queryAjv = withFormats(new Ajv({ strict: false, allErrors: false, useDefaults: true, coerceTypes: 'array' }));
    this.bodyLimit = opts.bodyLimit ?? 1024 * 1024;
    this.maxJsonDepth = opts.maxJsonDepth ?? 32;
  }

  add(...specs: RouteSpec[]): this {
    for (const spec of specs) {
      if (this.routes.some((r) => r.method === spec.method && r.path === spec.path)) {
        throw new Error(`route declared twice: ${spec.method} ${spec.path}`);
      }
      const paramNames: string[] = [];
      const source = spec.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:([a-zA-Z_]+)/g, (_, name: string) => {
        paramNames.push(name);
        return '([^/]+)';
      });
      this.routes.push(spec);
      this.compiled.push({
        spec,
        pattern: new RegExp(`^${source}$`),
        paramNames,
        params: spec.params && this.queryAjv.compile(closeObjects(spec.params)),
        query: spec.query && this.queryAjv.compile(closeObjects(spec.query)),
        body: spec.body && this.bodyAjv.compile(closeObjects(spec.body)),
        response: this.opts.validateResponses ? this.bodyAjv.compile(spec.response) : undefined,
        write: compileWire(spec.response),
      });
    }
    return this;
  }

  /** Requests taken and not yet finished (answered, or dropped because the client went away). */
  get inFlight(): number {
    return this.active;
  }

  observe(observer: RequestObserver): this {
    this.observers.push(observer);
    return this;
  }

  /** Serve every path under `prefix` from this router. */
  mount(app: TemplatedApp, prefix = '/api/*'): void {
    app.any(prefix, (res, req) => this.handle(res, req));
  }

  private handle(res: HttpResponse, req: HttpRequest): void {
    // uWS request data lives only until the first await: copy what we need now.
    const aborted: AbortState = { value: false };
    res.onAborted(() => {
      aborted.value = true;
      aborted.onAbort?.();
    });
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    const requestIdHeader = headers['x-request-id'];
    const incoming: IncomingRequest = {
      requestId: requestIdHeader && REQUEST_ID.test(requestIdHeader) ? requestIdHeader : newRequestId(),
      method: req.getMethod().toUpperCase() as RequestMethod,
      path: req.getUrl(),
      rawQuery: req.getQuery() ?? '',
      headers,
      rawBody: EMPTY,
      remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
      route: undefined,
    };
    const declaresBody = (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined;
    void this.process(res, incoming, aborted, declaresBody ? new PendingBody(res) : undefined);
  }

  private async process(res: HttpResponse, incoming: IncomingRequest, aborted: AbortState, body: PendingBody | undefined): Promise<void> {
    const started = performance.now();
    this.active++;
    try {
      await this.answer(res, incoming, aborted, started, body);
    } finally {
      this.active--;
    }
  }

  private async answer(res: HttpResponse, incoming: IncomingRequest, aborted: AbortState, started: number, body: PendingBody | undefined): Promise<void> {
    let principal: Principal | null = null;
    let params: Record<string, string> = {};
    const audit: AuditNote = { detail: null };
    let answer: Answer;
    try {
      const match = this.match(incoming.method, incoming.path);
      incoming.route = match.route.spec;
      params = match.params;
      const auth = await this.opts.guard.authenticate(incoming);
      principal = auth.principal;
      await this.opts.guard.admit?.(incoming, principal);
      authorise(match.route.spec, principal);
      const takesBody = incoming.method !== 'GET' && incoming.method !== 'DELETE' && incoming.method !== 'HEAD';
      if (body && takesBody && match.route.spec.bodyType === 'file') {
        incoming.upload = await readBodyToFile(body, match.route.spec.bodyLimit ?? this.bodyLimit, this.opts.uploadDir ?? tmpdir(), aborted);
      } else if (body && takesBody) {
        incoming.rawBody = await readBody(body, match.route.spec.bodyLimit ?? this.bodyLimit, aborted);
      }
      auth.checkBody?.(incoming.upload ?? digest(incoming.rawBody));
      answer = await this.run(match.route, incoming, params, principal, audit);
    } catch (err) {
      if (err instanceof RequestAborted) return;
      answer = this.failure(err, incoming);
    } finally {
      // Refused before the handler, or the handler did not keep it: an upload does not outlive its request.
      if (incoming.upload) rmSync(incoming.upload.path, { force: true });
    }
    // A body refused unread (or cut at its limit) is still on its way. A short rest is read and dropped,
    // so the client sees the answer and the connection serves on; past that the connection closes after the answer.
    // A body declared far longer than that is not read at all: its answer goes out at once, before the
    // client has sent much of it (a 100 MB upload refused while it is still being written).
    const declared = Number(incoming.headers['content-length'] ?? 0);
    const unread = body !== undefined && !body.complete && !(declared <= DISCARD_LIMIT && (await body.discard(DISCARD_LIMIT, aborted)));
    // A stream needs the socket running, which a long body nobody reads would hold paused.
    if (answer.stream && unread)
      answer = this.failure(new AppError('BODY_NOT_ALLOWED', 'invalid', `${incoming.method} ${incoming.path} takes no body`), incoming);
    if (!aborted.value) {
      if (answer.stream) this.openStream(res, incoming.requestId, answer, aborted);
      else this.send(res, incoming.requestId, answer, incoming.method === 'HEAD', unread);
    }
    const finished: FinishedRequest = {
      ...incoming,
      principal,
      params,
      detail: audit.detail,
      status: answer.status,
      errorCode: answer.body.error?.code ?? null,
      durationMs: performance.now() - started,
    };
    this.opts.log.info(
      {
        req_id: incoming.requestId,
        method: incoming.method,
        path: incoming.path,
        route: incoming.route?.path,
        status: finished.status,
        code: finished.errorCode ?? undefined,
        ms: Math.round(finished.durationMs * 10) / 10,
        actor: principal ? `${principal.kind}:${principal.id}` : undefined,
        remote: incoming.remoteAddress,
        ...(aborted.value ? { aborted: true } : {}),
      },
      'request',
    );
    for (const observe of this.observers) {
      try {
        observe(finished);
      } catch (err) {
        this.opts.log.error({ err, req_id: incoming.requestId }, 'request observer failed');
      }
    }
  }

  private match(asked: RequestMethod, path: string): { route: CompiledRoute; params: Record<string, string> } {
    // HEAD is GET without the body (HTTP says so; curl -I relies on it).
    const method = asked === 'HEAD' ? 'GET' : asked;
    let pathMatched = false;
    const allowed: string[] = [];
    for (const route of this.compiled) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      allowed.push(route.spec.method);
      if (route.spec.method !== method) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < route.paramNames.length; i++) {
        try {
          params[route.paramNames[i]] = decodeURIComponent(m[i + 1]);
        } catch {
          throw new AppError('BAD_PATH', 'invalid', `path segment for "${route.paramNames[i]}" is not valid percent-encoding`);
        }
      }
      return { route, params };
    }
    if (pathMatched || !METHODS.has(method)) {
      throw new AppError('METHOD_NOT_ALLOWED', 'not_supported', `${asked} is not allowed on ${path}`, undefined, { allowed });
    }
    throw new AppError('ROUTE_NOT_FOUND', 'not_found', `no route ${method} ${path}`);
  }

  private async run(
    route: CompiledRoute,
    incoming: IncomingRequest,
    params: Record<string, string>,
    principal: Principal | null,
    audit: AuditNote,
  ): Promise<Answer> {
    const { spec } = route;
    refuseUnstorable(params, 'path');
    if (route.params) check(route.params, params, 'path');
    const query = parseQuery(incoming.rawQuery);
    refuseUnstorable(query, 'query');
    if (route.query) check(route.query, query, 'query');
    else if (Object.keys(query).length) throw unknownField('query', Object.keys(query)[0]);
    const body = this.parseBody(route, incoming);

    let status = spec.status ?? 200;
    const headers: Record<string, string> = {};
    let meta: Record<string, unknown> | undefined;
    let stream: ((out: ResponseStream) => void) | undefined;
    let rawType = spec.produces;
    const ctx: RequestContext = {
      requestId: incoming.requestId,
      method: spec.method,
      path: incoming.path,
      params,
      query,
      body,
      rawBody: incoming.rawBody,
      headers: incoming.headers,
      remoteAddress: incoming.remoteAddress,
      principal,
      upload: incoming.upload,
      setStatus: (s) => {
        status = s;
      },
      setHeader: (name, value) => {
        headers[name] = value;
      },
      setMeta: (m) => {
        meta = m;
      },
      audit: (detail) => {
        audit.detail = { ...audit.detail, ...detail };
      },
      stream: (open) => {
        stream = open;
      },
      answerRaw: (type) => {
        rawType = type;
      },
    };
    const result = await spec.handler(ctx);
    if (stream) return { status, headers, body: { data: null, error: null }, stream, raw: { type: spec.produces ?? 'text/event-stream', payload: '' } };
    if (rawType) {
      return { status, headers, body: { data: null, error: null }, raw: { type: rawType, payload: result as string | Buffer } };
    }
    const data = route.write(result);
    if (route.response && !route.response(data)) {
      this.opts.log.error({ req_id: incoming.requestId, errors: route.response.errors }, 'response does not match its schema');
      throw new AppError('RESPONSE_INVALID', 'internal', 'the server built an answer that does not match its own schema');
    }
    return { status, headers, body: { data: data ?? null, error: null, ...(meta ? { meta } : {}) } };
  }

  private parseBody(route: CompiledRoute, incoming: IncomingRequest): unknown {
    const { spec } = route;
    const raw = incoming.rawBody;
    if (!spec.body) {
      if (raw.length && spec.bodyType !== 'text' && spec.bodyType !== 'raw' && spec.bodyType !== 'file') {
        throw new AppError('BODY_NOT_ALLOWED', 'invalid', `${spec.method} ${spec.path} takes no body`);
      }
      return spec.bodyType === 'text' ? raw.toString('utf8') : undefined;
    }
    // No body at all reads as {}: the schema then names each missing field, which helps more than a 415.
    if (!raw.length && !incoming.headers['content-type']) {
      const empty = {};
      check(route.body!, empty, 'body');
      return empty;
    }
    const type = (incoming.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported_format', 'send the body as application/json', { content_type: type || null });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new AppError('BODY_NOT_JSON', 'invalid', `body is not valid JSON: ${(err as Error).message}`);
    }
    if (jsonDepth(body, this.maxJsonDepth) > this.maxJsonDepth) {
      throw new AppError('BODY_TOO_DEEP', 'invalid', `body nests deeper than ${this.maxJsonDepth} levels`);
    }
    refuseUnstorable(body, 'body');
    check(route.body!, body, 'body');
    return body;
  }

  private failure(err: unknown, incoming: IncomingRequest): Answer {
    if (err instanceof AppError) {
      if (isServerFault(err)) this.opts.log.error({ req_id: incoming.requestId, code: err.code, err }, err.message);
      return {
        status: statusOf(err),
        headers: headersOf(err),
        body: {
          data: null,
          error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
        },
      };
    }
    if (this.opts.isUnavailable(err)) {
      this.opts.log.warn({ req_id: incoming.requestId, method: incoming.method, path: incoming.path, err: (err as Error).message }, 'database unreachable');
      return {
        status: 503,
        headers: { 'retry-after': '5' },
        body: {
          data: null,
          error: { code: 'DATABASE_UNAVAILABLE', message: 'the database is unreachable; retry shortly (GET /api/v1/health shows the cause)' },
        },
      };
    }
    this.opts.log.error({ req_id: incoming.requestId, method: incoming.method, path: incoming.path, err }, 'unhandled error in route');
    return {
      status: 500,
      headers: {},
      body: {
        data: null,
        error: { code: 'INTERNAL', message: `internal error; quote request id ${incoming.requestId} when reporting it` },
      },
    };
  }

  private openStream(res: HttpResponse, requestId: string, answer: Answer, aborted: AbortState): void {
    const listeners: Array<() => void> = [];
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      for (const l of listeners) l();
    };
    // The body was read before the handler ran: the abort hook is the stream's now.
    aborted.onAbort = close;
    res.cork(() => {
      res.writeStatus(`${answer.status} ${STATUS_TEXT[answer.status] ?? ''}`.trim());
      res.writeHeader('content-type', answer.raw!.type);
      res.writeHeader('x-request-id', requestId);
      res.writeHeader('cache-control', 'no-store');
      res.writeHeader('x-content-type-options', 'nosniff');
      for (const [k, v] of Object.entries(answer.headers)) res.writeHeader(k, v);
    });
    const out: ResponseStream = {
      get closed() {
        return closed;
      },
      write: (text) => {
        if (closed) return false;
        let ok = false;
        res.cork(() => {
          ok = res.write(text);
        });
        return ok;
      },
      end: () => {
        if (closed) return;
        res.cork(() => res.end());
        close();
      },
      onClose: (l) => {
        listeners.push(l);
      },
    };
    answer.stream!(out);
  }

  private send(res: HttpResponse, requestId: string, answer: Answer, head: boolean, close: boolean): void {
    // 204 and 304 carry no body by HTTP's rules; the request id still travels in X-Request-Id.
    const bodyless = answer.status === 204 || answer.status === 304;
    const payload = answer.raw ? answer.raw.payload : bodyless ? '' : JSON.stringify({ ...answer.body, request_id: requestId });
    // A HEAD answer says how long the body would be and sends none.
    const headLength = head && !bodyless ? Buffer.byteLength(payload) : undefined;
    res.cork(() => {
      res.writeStatus(`${answer.status} ${STATUS_TEXT[answer.status] ?? ''}`.trim());
      if (!bodyless) res.writeHeader('content-type', answer.raw ? answer.raw.type : 'application/json; charset=utf-8');
      res.writeHeader('x-request-id', requestId);
      res.writeHeader('cache-control', 'no-store');
      res.writeHeader('x-content-type-options', 'nosniff');
      for (const [k, v] of Object.entries(answer.headers)) res.writeHeader(k, v);
      if (bodyless) res.endWithoutBody(undefined, close);
      else if (headLength !== undefined) res.endWithoutBody(headLength, close);
      else res.end(payload, close);
    });
  }
}

interface Answer {
  /** Set by routes that answer with a stream (ctx.stream). */
  stream?: (out: ResponseStream) => void;
  status: number;
  headers: Record<string, string>;
  body: { data: unknown; error: { code: string; message: string; details?: unknown } | null; meta?: unknown };
  /** A route that `produces` something other than the envelope. */
  raw?: { type: string; payload: string | Buffer };
}

interface AuditNote {
  detail: Record<string, unknown> | null;
}

const EMPTY = Buffer.alloc(0);
/**
 * How much of a refused body is read and dropped so its client reads the answer. Past it the connection
 * closes after the answer, and uWS closes at once: the unread rest makes the kernel reset the connection,
 * which can take the answer with it before the client reads it (seen with 2 MiB bodies under load). A
 * body a few MiB over its limit is still answered; one declared longer than this is answered at once,
 * unread, and one that turns out longer (chunked) costs at most this much reading.
 */
const DISCARD_LIMIT = 8 * 1024 * 1024;

const digest = (body: Buffer): BodyDigest => ({ size: body.length, sha256: createHash('sha256').update(body).digest('hex') });

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  // ajv-formats also takes "urn:uuid:..." and the database does not: a uuid is the 36-character form.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv;
}

/** Text with NUL or a lone surrogate cannot be stored or compared by Postgres: refuse it at the door, naming where it was. */
function refuseUnstorable(value: unknown, where: string): void {
  const found = findUnstorable(value);
  if (found !== null) {
    const field = [where, found.path].filter(Boolean).join('.');
    const what = found.reason === 'nul' ? 'a NUL character' : 'half of a UTF-16 surrogate pair (not text)';
    throw new AppError('VALIDATION_FAILED', 'invalid', `${field} contains ${what}`, { field, reason: found.reason });
  }
}

/**
 * A copy of a request schema in which every object that does not declare `additionalProperties`
 * (or `patternProperties`) refuses unknown fields. TypeBox's symbol keys are kept.
 */
export function closeObjects<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(closeObjects) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(schema)) {
    const value = (schema as Record<string | symbol, unknown>)[key];
    out[key] = key === 'default' || key === 'const' || key === 'enum' || key === 'examples' ? value : closeObjects(value);
  }
  if (out.type === 'object' && out.properties && !('additionalProperties' in out) && !('patternProperties' in out)) {
    out.additionalProperties = false;
  }
  return out as T;
}

function authorise(spec: RouteSpec, principal: Principal | null): void {
  if (spec.scope === 'public') return;
  if (!principal) {
    throw new AppError('UNAUTHENTICATED', 'unauthenticated', 'this route needs a session token or an API key', undefined, { challenge: 'bearer' });
  }
  if (!hasScope(principal, spec.scope)) {
    throw new AppError('FORBIDDEN', 'forbidden', `this route needs scope "${spec.scope}"`, { needed_scope: spec.scope });
  }
}

function parseQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!raw) return out;
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function unknownField(where: string, name: string): AppError {
  return new AppError('VALIDATION_FAILED', 'invalid', `${where}.${name} is not a known field`, { field: `${where}.${name}` });
}

function check(validate: ValidateFunction, value: unknown, where: string): void {
  if (validate(value)) return;
  const e = validate.errors![0];
  throw new AppError('VALIDATION_FAILED', 'invalid', describe(e, where), { field: fieldOf(e, where), reason: e.keyword });
}

function fieldOf(e: ErrorObject, where: string): string {
  const path = e.instancePath.split('/').filter(Boolean).join('.');
  const leaf = e.keyword === 'additionalProperties' ? e.params.additionalProperty : e.keyword === 'required' ? e.params.missingProperty : undefined;
  return [where, path, leaf].filter(Boolean).join('.');
}

function describe(e: ErrorObject, where: string): string {
  const field = fieldOf(e, where);
  if (e.keyword === 'additionalProperties') return `${field} is not a known field`;
  if (e.keyword === 'required') return `${field} is required`;
  return `${field} ${e.message ?? 'is invalid'}`;
}
