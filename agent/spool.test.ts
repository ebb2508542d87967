import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from './spool.js';

const batch = (id: number, points = 10) => ({ batch: id, points: Array.from({ length: points }, (_, i) => ({ name: 'm', t: id * 1000 + i, v: i })) });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'aw-spool-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Sends and acks everything, returning the batch ids in the order they went out. */
function drain(spool: Spool): number[] {
  const out: number[] = [];
  for (let b = spool.nextReady(Date.now()); b; b = spool.nextReady(Date.now())) {
    spool.sent(b.batch);
    out.push(b.batch);
    spool.acked(b.batch);
  }
  return out;
}

describe('spool', () => {
  it('keeps batches until acked, resends what was in flight after a disconnect', () => {
    const spool = new Spool({ memoryBatches: 100, maxFileBytes: 1e6 });
    spool.add(batch(1));
    spool.add(batch(2));
    const first = spool.nextReady(0)!;
    spool.sent(first.batch);
    expect(spool.nextReady(0)!.batch).toBe(2);
    spool.requeueInFlight();
    expect(spool.nextReady(0)!.batch).toBe(1);
    expect(drain(spool)).toEqual([1, 2]);
    expect(spool.size).toBe(0);
  });

  it('holds a refused batch back until its retry time', () => {
    const spool = new Spool({ memoryBatches: 100, maxFileBytes: 1e6 });
    spool.add(batch(1));
    spool.sent(1);
    spool.retryAt(1, 5000);
    expect(spool.nextReady(4999)).toBeUndefined();
    expect(spool.nextReady(5000)!.batch).toBe(1);
  });

  it('spills past its memory share to files and reads them back in order', () => {
    const dir = tempDir();
    const spool = new Spool({ dir, memoryBatches: 10, maxFileBytes: 1e7 });
    for (let i = 1; i <= 55; i++) spool.add(batch(i));
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    expect(spool.size).toBe(55);
    expect(drain(spool).sort((a, b) => a - b)).toEqual(Array.from({ length: 55 }, (_, i) => i + 1));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('drops the oldest segment past its disk limit and counts the points lost', () => {
    const dir = tempDir();
    const spool = new Spool({ dir, memoryBatches: 4, maxFileBytes: 1500 });
    for (let i = 1; i <= 40; i++) spool.add(batch(i));
    expect(spool.droppedPoints).toBeGreaterThan(0);
    const kept = drain(spool);
    expect(kept.length * 10 + spool.droppedPoints).toBe(400);
    expect(Math.max(...kept)).toBe(40);
  });

  it('survives a restart of the agent: persisted batches come back', () => {
    const dir = tempDir();
    const a = new Spool({ dir, memoryBatches: 100, maxFileBytes: 1e6 });
    for (let i = 1; i <= 5; i++) a.add(batch(i));
    a.persist();
    const b = new Spool({ dir, memoryBatches: 100, maxFileBytes: 1e6 });
    expect(b.size).toBe(5);
    expect(drain(b)).toEqual([1, 2, 3, 4, 5]);
  });
});
