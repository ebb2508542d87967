/**
 * A template or asset edit made under an approved change request (docs/itil.md): admitted before the
 * edit, refused without one when a policy requires it, and linked to the change by a step of the
 * edit's own transaction, so an edit under a change never exists without its link.
 */
import type { TxStep } from '../store/db.js';
import type { ChangeRequests } from './changes.js';

export interface EditUnderChange {
  /** The change it is made under, if any (for the audit entry). */
  changeId: string | undefined;
  /**
   * The step linking the edit to its change, for the store's write (none without a change). The link
   * names `objectId`, or what the write made (a new template or asset); `note` says what was done.
   */
  link<T extends { id: string }>(note: (done: T) => string, objectId?: string): TxStep<T> | undefined;
  /** The step linking every object a write made or changed (an import's `ids`), each with `note`. */
  linkEach(note: string): TxStep<{ ids: string[] }> | undefined;
}

/** `request`: the change the caller names (if any) and who they are (`kind:name`). */
export async function admitEditUnderChange(
  changes: ChangeRequests | undefined,
  request: { changeId: string | undefined; actor: string },
  kind: 'template' | 'asset',
  scope: { assetId?: string } = {},
): Promise<EditUnderChange> {
  const changeId = (await changes?.gateEdit(kind, request.changeId, scope)) ?? undefined;
  return {
    changeId,
    link: (note, objectId) => (changeId ? (q, done) => changes!.link(changeId, kind, objectId ?? done.id, request.actor, note(done), q) : undefined),
    linkEach: (note) =>
      changeId
        ? async (q, done) => {
            for (const id of done.ids) await changes!.link(changeId, kind, id, request.actor, note, q);
          }
        : undefined,
  };
}
