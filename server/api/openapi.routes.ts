/** The OpenAPI 3.1 document of every registered route, and a page that renders it. */
import { Type } from '@sinclair/typebox';
import { SCOPES } from '../auth/scopes.js';
import { apiDocsPage } from '../http/api-docs-page.js';
import { buildOpenApi } from '../http/openapi.js';
import { route } from '../http/route.js';
import type { Router } from '../http/router.js';
import type { ApiDeps } from './deps.js';

const DESCRIPTION =
  'Every answer is { data, error, meta?, request_id } (this document and the docs page excepted). Errors carry a stable code, a message and details. ' +
  'Collections take limit, cursor, sort and filters the same way; members answer an ETag that changes send back in If-Match. ' +
  'Authenticate with a session token or an API key (Authorization: Bearer), or sign requests with an API key.';

export function openApiRoutes(deps: ApiDeps, router: Pick<Router, 'routes'>) {
  // Built at the first request, when every module has added its routes.
  let doc: string | undefined;
  let count = -1;
  const page = apiDocsPage();
  return [
    route({
      method: 'GET',
      path: '/api/v1/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document, made from the route declarations',
      description: 'The document itself, without the envelope, so that OpenAPI tools can read it.',
      tag: 'system',
      scope: 'public',
      produces: 'application/json; charset=utf-8',
      response: Type.Record(Type.String(), Type.Unknown()),
      handler: () => {
        if (!doc || count !== router.routes.length) {
          doc = JSON.stringify(buildOpenApi(router.routes, { title: 'AutoWatch API', version: deps.version, description: DESCRIPTION, scopes: { ...SCOPES } }));
          count = router.routes.length;
        }
        // The router sends a `produces` answer as is; the type says what it is once parsed.
        return doc as unknown as Record<string, unknown>;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/docs',
      summary: 'A page that renders the OpenAPI document, with a form to try each route',
      tag: 'system',
      scope: 'public',
      produces: 'text/html; charset=utf-8',
      response: Type.String(),
      handler: (ctx) => {
        ctx.setHeader('content-security-policy', page.csp);
        ctx.setHeader('referrer-policy', 'no-referrer');
        return page.html;
      },
    }),
  ];
}
