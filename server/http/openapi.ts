/**
 * The OpenAPI 3.1 document, made from the routes themselves: every route's params, query, body
 * and response schemas (TypeBox schemas are JSON Schema, which 3.1 takes as is), its scope and
 * the envelope around its answer. Nothing is written by hand, so the document cannot drift from
 * what the server does; a test checks every registered route is in it.
 */
import type { TSchema } from '@sinclair/typebox';
import { closeObjects } from './router.js';
import type { RouteSpec } from './route.js';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  scopes: Record<string, string>;
}

type Json = Record<string, unknown>;

const ERROR_CODES_BY_STATUS: Record<string, string> = {
  '400': 'The request is malformed: VALIDATION_FAILED (details.field names the field), BODY_NOT_JSON, BODY_TOO_DEEP, BAD_CURSOR, ...',
  '401': 'No or bad credentials: UNAUTHENTICATED, SESSION_EXPIRED, API_KEY_EXPIRED, SIGNATURE_INVALID, NONCE_REUSED, ...',
  '403': 'FORBIDDEN: the caller lacks the scope (details.needed_scope)',
  '404': 'Not found',
  '409': 'Conflict with the current state',
  '412': 'PRECONDITION_FAILED: If-Match no longer matches (details.current_etag)',
  '413': 'BODY_TOO_LARGE',
  '415': 'UNSUPPORTED_MEDIA_TYPE: send application/json',
  '428': 'PRECONDITION_REQUIRED: send If-Match',
  '429': 'RATE_LIMITED: wait Retry-After seconds',
  '500': 'INTERNAL: quote the request_id',
};

/** `/api/v1/users/:id` → `/api/v1/users/{id}` */
export const openApiPath = (path: string) => path.replace(/:([a-zA-Z_]+)/g, '{$1}');

/** A plain JSON copy of a schema: TypeBox's symbol keys dropped. */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

export function buildOpenApi(routes: readonly RouteSpec[], info: OpenApiInfo): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const tags = new Set<string>();
  for (const route of routes) {
    tags.add(route.tag);
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: '/' }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', description: 'stable, for programs: e.g. VALIDATION_FAILED, SIGNATURE_STALE' },
            message: { type: 'string', description: 'for people' },
            details: { type: 'object', description: 'what helps to fix it: field, needed_scope, current_etag, retry_after_s, ...' },
          },
        },
        ErrorEnvelope: {
          type: 'object',
          required: ['data', 'error', 'request_id'],
          properties: { data: { type: 'null' }, error: { $ref: '#/components/schemas/Error' }, request_id: { type: 'string' } },
        },
        PageMeta: {
          type: 'object',
          properties: {
            limit: { type: 'integer' },
            sort: { type: 'string' },
            next_cursor: { type: ['string', 'null'], description: 'pass as ?cursor= for the next page; null on the last page' },
            total: { type: 'integer', description: 'rows matching the filters, where cheap to count' },
          },
        },
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token from POST /api/v1/sessions (aws_...), or an API key as awk_<id>.<secret>.',
        },
        signed: {
          type: 'apiKey',
          in: 'header',
          name: 'X-AW-Signature',
          description:
            'AW1-HMAC-SHA256 request signature with an API key: headers X-AW-Key, X-AW-Timestamp, X-AW-Nonce, ' +
            'X-AW-Content-SHA256 and X-AW-Signature. The canonical request is in docs/api.md.',
        },
      },
    },
    'x-scopes': info.scopes,
  };
}

function operation(route: RouteSpec): Json {
  const parameters: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const s = plain(closeObjects(schema));
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries((s.properties as Record<string, Json> | undefined) ?? {})) {
      const { description, ...rest } = prop;
      parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) });
    }
  }
  const ok = String(route.status ?? 200);
  const producedType = route.produces?.split(';')[0];
  const success: Json = producedType
    ? { description: 'OK', content: { [producedType]: { schema: producedType === 'application/json' ? plain(route.response) : { type: 'string' } } } }
    : {
        description: 'OK',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['data', 'error', 'request_id'],
              properties: {
                data: plain(route.response),
                error: { type: 'null' },
                meta: { $ref: '#/components/schemas/PageMeta' },
                request_id: { type: 'string' },
              },
            },
          },
        },
      };
  const responses: Json = { [ok]: success };
  const errors = route.scope === 'public' ? ['400', '429', '500'] : ['400', '401', '403', '429', '500'];
  if (route.method === 'PUT' || route.method === 'PATCH' || route.method === 'DELETE') errors.push('412', '428');
  if (route.body) errors.push('413', '415');
  for (const status of errors.sort()) {
    responses[status] = {
      description: ERROR_CODES_BY_STATUS[status],
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
    };
  }
  const scopeText = route.scope === 'public' ? 'Public: no credentials needed.' : `Needs scope \`${route.scope}\` (or \`admin\`).`;
  return {
    operationId: operationId(route),
    summary: route.summary,
    description: [route.description, scopeText].filter(Boolean).join('\n\n'),
    tags: [route.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(route.bodyType === 'file'
      ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } }
      : route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: plain(closeObjects(route.body)) } } } }
        : {}),
    responses,
    security: route.scope === 'public' ? [] : [{ bearer: [] }, { signed: [] }],
    'x-scope': route.scope,
  };
}

function operationId(route: RouteSpec): string {
  const words = route.path
    .replace(/^\/api\/v\d+\//, '')
    .split('/')
    .map((seg) => (seg.startsWith(':') ? `by_${seg.slice(1)}` : seg.replace(/[^a-zA-Z0-9]+/g, '_')));
  return [route.method.toLowerCase(), ...words].join('_');
}
