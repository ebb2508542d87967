/** The CMDB's parts for one server node, built once in app.ts and handed to routes and the gateway. */
import type { Db } from '../store/db.js';
import { AssetStore } from './assets.js';
import { AssetTypeRegistry } from './asset-types.js';

export interface Cmdb {
  types: AssetTypeRegistry;
  assets: AssetStore;
}

export function createCmdb(db: Db): Cmdb {
  const types = new AssetTypeRegistry(db);
  const assets = new AssetStore(db, types);
  return { types, assets };
}
