import { describe, expect, it } from 'vitest';
import { CappedOutput } from './output-cap.js';

describe('CappedOutput', () => {
  it('keeps everything under the cap, unmarked', () => {
    const out = new CappedOutput(10);
    out.push(Buffer.from('hello'));
    expect(out.text()).toBe('hello');
    expect(out.cut).toBe(false);
  });

  it('cuts at the cap, says how much was lost, and keeps nothing more', () => {
    const out = new CappedOutput(8);
    expect(out.push(Buffer.from('12345')).toString()).toBe('12345');
    expect(out.push(Buffer.from('67890')).toString()).toBe('678');
    expect(out.push(Buffer.from('abc')).length).toBe(0);
    expect(out.cut).toBe(true);
    expect(out.totalBytes).toBe(13);
    expect(out.text()).toBe('12345678\n[autowatch: output cut at 8 bytes; 5 more bytes not kept]\n');
  });

  it('keeps decoded binary output within the cap, marked cut', () => {
    const out = new CappedOutput(100);
    out.push(Buffer.alloc(100, 0xff));
    const text = out.text();
    expect(out.cut).toBe(true);
    expect(Buffer.byteLength(text.slice(0, text.indexOf('\n[autowatch')))).toBeLessThanOrEqual(100);
  });
});
