import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { Nullable, Timestamp } from '../api/schemas.js';
import { compile } from './wire.js';

const Host = Type.Object({
  id: Type.String(),
  host_ids: Type.Array(Type.String()),
  last_seen_at: Nullable(Timestamp),
  created_at: Timestamp,
  labels: Type.Record(Type.String(), Type.String()),
  detail: Type.Unknown(),
  p99_ms: Type.Optional(Type.Number()),
});

describe('the edge serializer', () => {
  it('writes camelCase records as the snake_case answer the schema declares, times as ISO', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const wire = compile(Host)({
      id: 'h1',
      hostIds: ['a'],
      lastSeenAt: null,
      createdAt: at,
      labels: { diskName: 'sda', 'a b': 'c' },
      detail: { someKey: at },
      p99Ms: 4,
    });
    expect(wire).toEqual({
      id: 'h1',
      host_ids: ['a'],
      last_seen_at: null,
      created_at: '2026-01-02T03:04:05.006Z',
      labels: { diskName: 'sda', 'a b': 'c' },
      detail: { someKey: '2026-01-02T03:04:05.006Z' },
      p99_ms: 4,
    });
    expect(Object.keys(wire as object)).toEqual(['id', 'host_ids', 'last_seen_at', 'created_at', 'labels', 'detail', 'p99_ms']);
  });

  it('takes answers still in wire form unchanged, times read back from JSON normalised', () => {
    const answer = { id: 'h1', host_ids: [], last_seen_at: 1767323045006, created_at: '2026-01-02T03:04:05.006Z', labels: {}, detail: null };
    expect(compile(Host)(answer)).toEqual({ ...answer, last_seen_at: '2026-01-02T03:04:05.006Z' });
  });

  it('leaves out what a closed schema does not declare and snake_cases what an open one does not', () => {
    const Closed = Type.Object({ name: Type.String() }, { additionalProperties: false });
    const Open = Type.Object({ name: Type.String() });
    expect(compile(Closed)({ name: 'n', keyHash: 'secret' })).toEqual({ name: 'n' });
    expect(compile(Open)({ name: 'n', hostCount: 2, nested: { lastRunAt: new Date(0) } })).toEqual({
      name: 'n',
      host_count: 2,
      nested: { last_run_at: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('picks the object variant of a union the record fits, nested arrays of records included', () => {
    const Webhook = Type.Object({ url: Type.String(), secret_set: Type.Boolean() });
    const Email = Type.Object({ to: Type.Array(Type.String()), smtp_host: Type.String() });
    const Channel = Type.Object({ settings: Type.Union([Webhook, Email]), runs: Type.Array(Type.Object({ started_at: Timestamp })) });
    expect(compile(Channel)({ settings: { to: ['a@b'], smtpHost: 'mx' }, runs: [{ startedAt: new Date(0) }] })).toEqual({
      settings: { to: ['a@b'], smtp_host: 'mx' },
      runs: [{ started_at: '1970-01-01T00:00:00.000Z' }],
    });
  });

  it('writes a time held as a Date, an ISO string with an offset or epoch milliseconds alike, in UTC with milliseconds', () => {
    const at = '2026-01-05T10:20:30.040Z';
    const write = compile(Type.Object({ at: Timestamp, maybe: Nullable(Timestamp) }));
    for (const held of [new Date(at), '2026-01-05T11:20:30.04+01:00', Date.parse(at)]) expect(write({ at: held, maybe: held })).toEqual({ at, maybe: at });
    expect(write({ at, maybe: null })).toEqual({ at, maybe: null });
  });
});
