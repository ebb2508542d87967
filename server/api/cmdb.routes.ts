/** Every CMDB route: one line in app.ts. */
import type { Cmdb } from '../cmdb/cmdb.js';
import { assetRoutes } from './assets.routes.js';
import { assetTypeRoutes } from './asset-types.routes.js';
import { approvalRoutes } from './approvals.routes.js';
import { hostRoutes } from './hosts.routes.js';
import type { ApiDeps } from './deps.js';

export function cmdbRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  return [...assetTypeRoutes(deps), ...assetRoutes(deps), ...approvalRoutes(deps), ...hostRoutes(deps)];
}
