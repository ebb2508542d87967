import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, joinInt64, putUvarint, splitInt64, uvarintSize } from './bitstream.js';
import { seededRandom } from './sample-series.js';

describe('BitWriter / BitReader', () => {
  it('round-trips random fields of 0..32 bits and 64-bit halves', () => {
    const rnd = seededRandom(11);
    const fields: Array<[number, number, number]> = []; // [hi, lo, n]
    const w = new BitWriter(8); // tiny on purpose: the buffer must grow many times
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rnd() * 65);
      const hi = n > 32 ? Math.floor(rnd() * 2 ** (n - 32)) : 0;
      const lo = n >= 32 ? Math.floor(rnd() * 2 ** 32) : Math.floor(rnd() * 2 ** n);
      fields.push([hi, lo, n]);
      w.writeBits64(hi, lo, n);
    }
    const bytes = w.bytes();
    expect(bytes.length).toBe(Math.ceil(w.bitLength / 8));
    const r = new BitReader(bytes);
    for (const [hi, lo, n] of fields) {
      r.readBits64(n);
      expect([r.hi, r.lo]).toEqual([hi, lo]);
    }
    expect(r.bitsLeft).toBeLessThan(8);
  });

  it('writes most significant bit first', () => {
    const w = new BitWriter();
    w.writeBits(0b1, 1);
    w.writeBits(0b0110, 4);
    w.writeBits(0xabc, 12);
    expect([...w.bytes()]).toEqual([0b10110101, 0b01011110, 0b00000000]);
  });

  it('masks values wider than the field', () => {
    const w = new BitWriter();
    w.writeBits(0xff, 3);
    w.writeBits(-1, 32);
    const r = new BitReader(w.bytes());
    expect(r.readBits(3)).toBe(0b111);
    expect(r.readBits(32)).toBe(0xffffffff);
  });

  it('reads fields that end in the last bytes (the bounds-checked path)', () => {
    const w = new BitWriter();
    w.writeBits(0b101, 3);
    w.writeBits(0xdeadbeef, 32);
    w.writeBits(0x5, 3);
    const r = new BitReader(w.bytes());
    expect(r.readBits(3)).toBe(0b101);
    expect(r.readBits(32)).toBe(0xdeadbeef);
    expect(r.readBits(3)).toBe(0x5);
  });

  it('throws SERIES_DATA_CORRUPT when reading past the end', () => {
    const r = new BitReader(new Uint8Array([0xff]));
    expect(r.readBits(7)).toBe(0x7f);
    expect(() => r.readBits(2)).toThrow(expect.objectContaining({ code: 'SERIES_DATA_CORRUPT' }));
    const r2 = new BitReader(new Uint8Array([0xff]), 0, 1);
    r2.readBits(8);
    expect(() => r2.readBit()).toThrow(expect.objectContaining({ code: 'SERIES_DATA_CORRUPT' }));
  });

  it('honours a byte range', () => {
    const r = new BitReader(new Uint8Array([0x00, 0xf0, 0x0f, 0xff]), 1, 3);
    expect(r.readBits(16)).toBe(0xf00f);
    expect(() => r.readBit()).toThrow();
  });
});

describe('uvarint', () => {
  const cases = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1_717_200_000_000, 2 ** 53 - 1];

  it('bit-stream and byte forms agree and round-trip', () => {
    for (const x of cases) {
      const w = new BitWriter();
      w.writeUvarint(x);
      const viaBits = w.bytes();
      const viaBytes = new Uint8Array(uvarintSize(x));
      expect(putUvarint(viaBytes, 0, x)).toBe(viaBytes.length);
      expect(viaBits).toEqual(viaBytes);
      expect(new BitReader(viaBits).readUvarint()).toBe(x);
    }
  });

  it('matches Go binary.PutUvarint bytes', () => {
    const out = new Uint8Array(2);
    putUvarint(out, 0, 300);
    expect([...out]).toEqual([0xac, 0x02]);
  });

  it('reads unaligned', () => {
    const w = new BitWriter();
    w.writeBits(1, 3);
    w.writeUvarint(1_717_200_000_000);
    const r = new BitReader(w.bytes());
    r.readBits(3);
    expect(r.readUvarint()).toBe(1_717_200_000_000);
  });
});

describe('splitInt64 / joinInt64', () => {
  it('round-trips safe integers of both signs as two’s complement', () => {
    const into = { hi: 0, lo: 0 };
    const cases = [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 + 5, -(2 ** 32) - 5, 2 ** 53 - 1, -(2 ** 53 - 1), -123_456_789];
    for (const x of cases) {
      splitInt64(x, into);
      expect(joinInt64(into.hi, into.lo)).toBe(x);
    }
    splitInt64(-1, into);
    expect([into.hi, into.lo]).toEqual([0xffffffff, 0xffffffff]);
  });
});
