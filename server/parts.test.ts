import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startParts, type Part } from './parts.js';

const log = pino({ level: 'silent' });

describe('startParts', () => {
  const recording = (names: string[], seen: string[], failing?: string): Part[] =>
    names.map((name) => ({
      name,
      start: async () => {
        seen.push(`start ${name}`);
        if (name === failing) throw new Error(`${name} failed`);
      },
      stop: async () => void seen.push(`stop ${name}`),
    }));

  it('starts in the order listed and stops in reverse, once', async () => {
    const seen: string[] = [];
    const stop = await startParts(
      [...recording(['db', 'cluster'], seen), { name: 'drain point', stop: () => void seen.push('stop drain point') }, ...recording(['listener'], seen)],
      log,
    );
    expect(seen).toEqual(['start db', 'start cluster', 'start listener']);
    await stop();
    await stop();
    expect(seen.slice(3)).toEqual(['stop listener', 'stop drain point', 'stop cluster', 'stop db']);
  });

  it('stops what had started, in reverse, when a start fails, and rethrows', async () => {
    const seen: string[] = [];
    await expect(startParts(recording(['db', 'monitor', 'listener'], seen, 'monitor'), log)).rejects.toThrow('monitor failed');
    expect(seen).toEqual(['start db', 'start monitor', 'stop db']);
  });
});
