/**
 * Optimistic concurrency on members: GET answers an `ETag`; PUT, PATCH and DELETE send it back
 * in `If-Match`. A missing If-Match where the route needs one is 428 PRECONDITION_REQUIRED; one
 * that no longer matches (someone changed the resource since it was read) is 412
 * PRECONDITION_FAILED, whose details carry the current ETag. `If-Match: *` means "whatever it is".
 *
 * A resource's ETag is its row version (an integer column every change adds one to), so the
 * update itself can say `WHERE id = $1 AND version = $2`: two writers that both passed the check
 * cannot both win. In a route:
 *   const expected = ifMatchVersion(ctx, current.version);      // 428 / 412, else the version to match
 *   UPDATE ... SET ..., version = version + 1 WHERE id = $1 AND version = $2  -- 0 rows: staleVersion()
 *   setEtag(ctx, updated.version);
 */
import { AppError, staleVersion } from '../errors.js';
import type { RequestContext } from './route.js';

export const etagOf = (version: number | string): string => `"${version}"`;

export function setEtag(ctx: Pick<RequestContext, 'setHeader'>, version: number | string): void {
  ctx.setHeader('ETag', etagOf(version));
}

/** The entity tags of an If-Match header: '*', a list (weak tags dropped: If-Match compares strongly), or undefined. */
export function parseIfMatch(header: string | undefined): '*' | string[] | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  const tags = value.match(/(W\/)?"[^"]*"/g) ?? [];
  return tags.filter((t) => !t.startsWith('W/'));
}

/**
 * Checks If-Match against the resource's current version. Returns the version the update must
 * still find. `required: false` lets a caller that sends no If-Match overwrite blindly.
 */
export function ifMatchVersion(ctx: Pick<RequestContext, 'headers'>, current: number | string, opts: { required?: boolean } = {}): number | string {
  const tags = parseIfMatch(ctx.headers['if-match']);
  if (tags === undefined) {
    if (opts.required === false) return current;
    throw new AppError('PRECONDITION_REQUIRED', 'precondition_required', 'send the ETag you read in If-Match (or If-Match: * to overwrite whatever is there)', {
      header: 'If-Match',
      current_etag: etagOf(current),
    });
  }
  if (tags === '*' || tags.includes(etagOf(current))) return current;
  throw staleVersion(current);
}
