/** The CMDB's parts for one server node, built once in app.ts and handed to routes and the gateway. */
import type { Db, TxStep } from '../store/db.js';
import { ApprovalQueue } from './approvals.js';
import { AssetStore } from './assets.js';
import { AssetTypeRegistry } from './asset-types.js';
import { HostDirectory, HostGroups } from './hosts.js';
import { InventoryIntake } from './inventory-intake.js';
import { checkInventoryReport } from '../../protocol/inventory-report-schema.js';
import { AppError } from '../errors.js';
import type { Actor } from './asset-fields.js';
import { importAssetsCsv, type ImportResult } from './asset-import.js';
import type { HostRule } from './host-rules.js';
import { previewGroup, resolveTargets, type TargetSelector } from './targets.js';

export interface Cmdb {
  types: AssetTypeRegistry;
  assets: AssetStore;
  intake: InventoryIntake;
  approvals: ApprovalQueue;
  hosts: HostDirectory;
  groups: HostGroups;
  /** Assets from CSV, all or nothing (a dry run checks without writing). */
  importCsv(text: string, actor: Actor, opts?: { dryRun?: boolean; step?: TxStep<ImportResult> }): Promise<ImportResult>;
  /** The hosts a group with these rules and members would hold (a first page and the count). */
  previewGroup(rules: readonly HostRule[], hostIds: readonly string[]): ReturnType<typeof previewGroup>;
  /** Every host the selector names, each once, by id. */
  resolveTargets(sel: TargetSelector): Promise<string[]>;
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
    importCsv: (text, actor, opts) => importAssetsCsv(db, assets, types, text, actor, opts),
    previewGroup: (rules, hostIds) => previewGroup(db, rules, hostIds),
    resolveTargets: (sel) => resolveTargets(db, sel),
    onInventory: async (agent, report) => {
      const checked = checkInventoryReport(report);
      if ('problem' in checked) throw new AppError('INVENTORY_INVALID', 'invalid', checked.problem);
      await intake.intake(agent, checked.report);
    },
  };
}
