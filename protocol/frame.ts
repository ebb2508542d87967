/**
 * The frame: a fixed 50-byte header then a msgpack payload (docs/protocol.md, byte by byte).
 *
 *   0   u8     protocol version (1)
 *   1   u8     message type (messages.ts)
 *   2   u64be  sequence number, per connection and direction, strictly increasing from 1
 *   10  u64be  sender's clock, ms since the Unix epoch
 *   18  32 B   HMAC-SHA256(agent key, macPrefix ‖ bytes 0..17 ‖ payload)
 *   50  ...    payload, msgpack
 *
 * macPrefix = u8 length ‖ agent id (UTF-8) ‖ 16-byte session nonce chosen by the server for this
 * connection, so a frame cannot be replayed on another connection or claimed by another agent.
 * The tag is checked before the payload is parsed: unauthenticated bytes never reach msgpack.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';
import { PROTOCOL_VERSION, messageTypeName, type MessageTypeCode } from './messages.js';
import { CloseCode } from './close-codes.js';

export const HEADER_BYTES = 50;
const TAG_OFFSET = 18;
const TAG_BYTES = 32;
export const SESSION_BYTES = 16;

// copyBuffers: binary fields must not alias the socket buffer uWS frees after the message callback.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number', moreTypes: false, copyBuffers: true });

/** A frame refused; `closeCode` is what the connection is closed with. */
export class FrameError extends Error {
  constructor(
    readonly closeCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The per-connection part of every tag. */
export function macPrefix(agentId: string, session: Uint8Array): Buffer {
  const id = Buffer.from(agentId, 'utf8');
  if (id.length > 255) throw new Error('agent id longer than 255 bytes');
  if (session.length !== SESSION_BYTES) throw new Error(`session nonce must be ${SESSION_BYTES} bytes`);
  return Buffer.concat([Buffer.from([id.length]), id, session]);
}

function tag(key: Buffer, prefix: Buffer, header: Uint8Array, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(prefix).update(header).update(payload).digest();
}

export function encodePayload(message: unknown): Buffer {
  return packr.pack(message);
}

/** Builds a signed frame around an already encoded payload. */
export function sealFrame(key: Buffer, prefix: Buffer, type: MessageTypeCode, seq: number, time: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame[0] = PROTOCOL_VERSION;
  frame[1] = type;
  frame.writeBigUInt64BE(BigInt(seq), 2);
  frame.writeBigUInt64BE(BigInt(time), 10);
  frame.set(payload, HEADER_BYTES);
  tag(key, prefix, frame.subarray(0, TAG_OFFSET), payload).copy(frame, TAG_OFFSET);
  return frame;
}

export function encodeFrame(key: Buffer, prefix: Buffer, type: MessageTypeCode, seq: number, time: number, message: unknown): Buffer {
  return sealFrame(key, prefix, type, seq, time, encodePayload(message));
}

export interface FrameHeader {
  version: number;
  type: number;
  seq: number;
  time: number;
}

/** Reads the header without trusting anything in it (an out-of-range number reads as -1). */
export function readHeader(frame: Uint8Array): FrameHeader {
  if (frame.length < HEADER_BYTES) {
    throw new FrameError(CloseCode.FRAME_MALFORMED, 'FRAME_MALFORMED', `frame of ${frame.length} bytes is shorter than its header`);
  }
  const view = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  return { version: view[0], type: view[1], seq: safe(view.readBigUInt64BE(2)), time: safe(view.readBigUInt64BE(10)) };
}

const safe = (n: bigint) => (n > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(n));

export interface VerifyContext {
  key: Buffer;
  prefix: Buffer;
  /** Last sequence number accepted on this connection in this direction. */
  lastSeq: number;
  now: number;
  clockSkewMs: number;
}

export interface VerifiedFrame extends FrameHeader {
  payload: Uint8Array;
}

/**
 * Checks, in order: size, version, tag, sequence, time, type. The tag comes before sequence and
 * time so that an attacker cannot learn anything from which check failed on a forged frame.
 */
export function verifyFrame(frame: Uint8Array, ctx: VerifyContext): VerifiedFrame {
  // An HMAC with an empty key is one anybody can compute: never a proof of anything.
  if (!ctx.key.length) throw new FrameError(CloseCode.PROTOCOL_VIOLATION, 'PROTOCOL_VIOLATION', 'no key to verify the frame with');
  const header = readHeader(frame);
  if (header.version !== PROTOCOL_VERSION) {
    throw new FrameError(
      CloseCode.PROTOCOL_UNSUPPORTED,
      'PROTOCOL_UNSUPPORTED',
      `protocol version ${header.version} is not supported (want ${PROTOCOL_VERSION})`,
    );
  }
  const payload = frame.subarray(HEADER_BYTES);
  const expected = tag(ctx.key, ctx.prefix, frame.subarray(0, TAG_OFFSET), payload);
  const given = frame.subarray(TAG_OFFSET, TAG_OFFSET + TAG_BYTES);
  if (!timingSafeEqual(expected, given)) {
    throw new FrameError(CloseCode.BAD_SIGNATURE, 'FRAME_BAD_SIGNATURE', 'frame tag does not verify');
  }
  if (header.seq < 0 || header.time < 0) {
    throw new FrameError(CloseCode.FRAME_MALFORMED, 'FRAME_MALFORMED', 'sequence or time out of range');
  }
  if (header.seq <= ctx.lastSeq) {
    throw new FrameError(CloseCode.BAD_SEQUENCE, 'FRAME_BAD_SEQUENCE', `sequence ${header.seq} is not after ${ctx.lastSeq}: replayed or reordered`);
  }
  if (Math.abs(header.time - ctx.now) > ctx.clockSkewMs) {
    throw new FrameError(CloseCode.STALE_TIME, 'FRAME_STALE_TIME', `frame time is ${Math.round((header.time - ctx.now) / 1000)} s off the server clock`);
  }
  if (!messageTypeName(header.type)) {
    throw new FrameError(CloseCode.UNKNOWN_TYPE, 'FRAME_UNKNOWN_TYPE', `message type ${header.type} is unknown`);
  }
  return { ...header, payload };
}

/** Decodes a payload; every message is a msgpack map, anything else is malformed. */
export function decodePayload(payload: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = packr.unpack(payload);
  } catch (err) {
    throw new FrameError(CloseCode.FRAME_MALFORMED, 'FRAME_MALFORMED', `payload is not msgpack: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new FrameError(CloseCode.FRAME_MALFORMED, 'FRAME_MALFORMED', 'payload must be a msgpack map');
  }
  return value as Record<string, unknown>;
}
