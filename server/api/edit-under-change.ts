/** The change request an edit names (X-Change-Id) and its caller, for server/itil/edit-under-change.ts. */
import type { RequestContext } from '../http/route.js';
import type { ChangeRequests } from '../itil/changes.js';
import { admitEditUnderChange, type EditUnderChange } from '../itil/edit-under-change.js';

export function editUnderChange(
  changes: ChangeRequests | undefined,
  ctx: Pick<RequestContext, 'headers' | 'principal'>,
  kind: 'template' | 'asset',
  scope: { assetId?: string } = {},
): Promise<EditUnderChange> {
  return admitEditUnderChange(changes, { changeId: ctx.headers['x-change-id'], actor: `${ctx.principal!.kind}:${ctx.principal!.name}` }, kind, scope);
}
