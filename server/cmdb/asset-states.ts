/**
 * The asset lifecycle (docs/cmdb.md draws it). Pure: the server asks `checkTransition` before it
 * writes a state, and nothing else writes one.
 *
 *   procured -> in_stock -> online <-> maintenance
 *                              online  -> offline -> online | maintenance | in_stock
 *   procured | in_stock | maintenance | offline -> retired -> disposed
 */
import { AppError } from '../errors.js';

export const ASSET_STATES = ['procured', 'in_stock', 'online', 'maintenance', 'offline', 'retired', 'disposed'] as const;
export type AssetState = (typeof ASSET_STATES)[number];

export const TRANSITIONS: Readonly<Record<AssetState, readonly AssetState[]>> = {
  procured: ['in_stock', 'retired'],
  in_stock: ['online', 'maintenance', 'retired'],
  online: ['maintenance', 'offline'],
  maintenance: ['online', 'offline', 'in_stock', 'retired'],
  offline: ['online', 'maintenance', 'in_stock', 'retired'],
  retired: ['disposed'],
  // the end: a disposed asset is only history
  disposed: [],
};

/** States an asset may be created in: bought, on a shelf, or already running when first registered. */
export const INITIAL_STATES: readonly AssetState[] = ['procured', 'in_stock', 'online'];

export function canTransition(from: AssetState, to: AssetState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** 409 ASSET_TRANSITION_FORBIDDEN naming what is allowed from here, unless from -> to is an edge. */
export function checkTransition(from: AssetState, to: AssetState): void {
  if (canTransition(from, to)) return;
  const allowed = TRANSITIONS[from];
  throw new AppError(
    'ASSET_TRANSITION_FORBIDDEN',
    'conflict',
    from === to
      ? `the asset is ${from} already`
      : `an asset cannot go from ${from} to ${to}; from ${from} it can go to ${allowed.length ? allowed.join(', ') : 'nowhere (final state)'}`,
    { from, to, allowed: [...allowed] },
  );
}
