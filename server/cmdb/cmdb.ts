/** The CMDB's parts for one server node, built once in app.ts and handed to routes and the gateway. */
import type { Db } from '../store/db.js';
import { ApprovalQueue } from './approvals.js';
import { AssetStore } from './assets.js';
import { AssetTypeRegistry } from './asset-types.js';
import { HostDirectory, HostGroups } from './hosts.js';
import { InventoryIntake } from './inventory-intake.js';
import { checkInventoryReport } from '../../protocol/inventory-report-schema.js';
import { AppError } from '../errors.js';

export interface Cmdb {
  types: AssetTypeRegistry;
  assets: AssetStore;
  intake: InventoryIntake;
  approvals: ApprovalQueue;
  hosts: HostDirectory;
  groups: HostGroups;
  /** The gateway's `inventory` frame handler: a report that does not fit is refused whole. */
  onInventory(agent: { agentId: string; hostId: string }, report: Record<string, unknown>): Promise<void>;
}

export function createCmdb(db: Db): Cmdb {
  const types = new AssetTypeRegistry(db);
  const assets = new AssetStore(db, types);
  const intake = new InventoryIntake(db, assets);
  const approvals = new ApprovalQueue(db, assets, intake);
  return {
    types,
    assets,
    intake,
    approvals,
    hosts: new HostDirectory(db),
    groups: new HostGroups(db),
    onInventory: async (agent, report) => {
      const checked = checkInventoryReport(report);
      if ('problem' in checked) throw new AppError('INVENTORY_INVALID', 'invalid', checked.problem);
      await intake.intake(agent, checked.report);
    },
  };
}
