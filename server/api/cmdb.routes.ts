/** Every CMDB route: one line in app.ts. */
import type { Cmdb } from '../cmdb/cmdb.js';
import { assetRoutes } from './assets.routes.js';
import { assetCsvRoutes } from './asset-csv.routes.js';
import { assetTypeRoutes } from './asset-types.routes.js';
import { approvalRoutes } from './approvals.routes.js';
import { hostRoutes } from './hosts.routes.js';
import type { ApiDeps } from './deps.js';

export function cmdbRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  // CSV first: /assets/export must win over /assets/:id
  return [...assetTypeRoutes(deps), ...assetCsvRoutes(deps), ...assetRoutes(deps), ...approvalRoutes(deps), ...hostRoutes(deps)];
}
