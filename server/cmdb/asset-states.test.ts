import { describe, expect, it } from 'vitest';
import { ASSET_STATES, INITIAL_STATES, TRANSITIONS, canTransition, checkTransition } from './asset-states.js';

describe('asset state machine', () => {
  it('follows the documented lifecycle', () => {
    const path = ['procured', 'in_stock', 'online', 'maintenance', 'online', 'offline', 'retired', 'disposed'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i]), `${path[i - 1]} -> ${path[i]}`).toBe(true);
  });

  it('refuses shortcuts and leaving the final state as a conflict with its own code', () => {
    for (const [from, to] of [
      ['procured', 'online'],
      ['online', 'retired'],
      ['disposed', 'in_stock'],
      ['retired', 'online'],
      ['online', 'online'],
    ] as const) {
      expect(() => checkTransition(from, to)).toThrow(expect.objectContaining({ code: 'ASSET_TRANSITION_FORBIDDEN', kind: 'conflict' }));
    }
    expect(() => checkTransition('online', 'retired')).toThrow(
      expect.objectContaining({ details: { from: 'online', to: 'retired', allowed: ['maintenance', 'offline'] } }),
    );
  });

  it('every state is reachable from an initial state and every state but disposed leads somewhere', () => {
    const seen = new Set<string>(INITIAL_STATES);
    const todo = [...INITIAL_STATES];
    while (todo.length) for (const next of TRANSITIONS[todo.pop()!]) if (!seen.has(next)) seen.add(next), todo.push(next);
    expect([...seen].sort()).toEqual([...ASSET_STATES].sort());
    for (const s of ASSET_STATES) expect(TRANSITIONS[s].length === 0).toBe(s === 'disposed');
  });
});
