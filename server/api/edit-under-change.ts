/**
 * A template or asset edit made under an approved change request (X-Change-Id, docs/itil.md):
 * admitted before the edit, refused without one when a policy requires it, and linked to the change
 * by a step of the edit's own transaction, so an edit under a change never exists without its link.
 */
import type { RequestContext } from '../http/route.js';
import type { ChangeRequests } from '../itil/changes.js';
import type { TxStep } from '../store/db.js';

export interface EditUnderChange {
  /** The change it is made under, if any (for the audit entry). */
  changeId: string | undefined;
  /**
   * The step linking the edit to its change, for the store's write (none without a change). The link
   * names `objectId`, or what the write made (a new template or asset); `note` says what was done.
   */
  link<T extends { id: string }>(note: (done: T) => string, objectId?: string): TxStep<T> | undefined;
}

export async function editUnderChange(
  changes: ChangeRequests | undefined,
  ctx: Pick<RequestContext, 'headers' | 'principal'>,
  kind: 'template' | 'asset',
  scope: { assetId?: string } = {},
): Promise<EditUnderChange> {
  const changeId = (await changes?.gateEdit(kind, ctx.headers['x-change-id'], scope)) ?? undefined;
  const actor = `${ctx.principal!.kind}:${ctx.principal!.name}`;
  return {
    changeId,
    link: (note, objectId) => (changeId ? (q, done) => changes!.link(changeId, kind, objectId ?? done.id, actor, note(done), q) : undefined),
  };
}
