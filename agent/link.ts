/**
 * The agent's end of one WebSocket connection: waits for the server's welcome (session nonce),
 * proves its key with a hello, then sends signed frames and verifies every frame the server sends
 * (tag, increasing sequence, time window), exactly as the server does for the agent's frames.
 * A link lives for one connection; the agent makes a new one to reconnect.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { FrameError, decodePayload, encodeFrame, macPrefix, readHeader, verifyFrame, HEADER_BYTES, SESSION_BYTES } from '../protocol/frame.js';
import {
  MessageType,
  PROTOCOL_VERSION,
  type AckMessage,
  type ConfigMessage,
  type ErrorMessage,
  type HelloMessage,
  type MessageTypeCode,
  type WelcomeMessage,
} from '../protocol/messages.js';

export interface LinkCredentials {
  agentId: string;
  secret: Buffer;
}

export interface LinkOptions {
  url: string;
  credentials: LinkCredentials;
  hello: Omit<HelloMessage, 'protocol'>;
  clockSkewMs?: number;
  /** Source address for the socket (load tests spread agents over 127.0.0.x). */
  localAddress?: string;
  handshakeTimeoutMs?: number;
}

export interface LinkEvents {
  ready: [];
  config: [ConfigMessage];
  ack: [AckMessage];
  refused: [ErrorMessage];
  task: [unknown];
  close: [code: number, reason: string];
}

export class AgentLink extends EventEmitter<LinkEvents> {
  private readonly ws: WebSocket;
  private prefix: Buffer | undefined;
  private sendSeq = 0;
  private recvSeq = 0;
  private open = false;
  private closed = false;
  private lastError = '';

  constructor(private readonly opts: LinkOptions) {
    super();
    this.ws = new WebSocket(opts.url, {
      headers: { 'x-aw-agent': opts.credentials.agentId },
      localAddress: opts.localAddress,
      handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
      perMessageDeflate: false,
      maxPayload: 16 * 1024 * 1024,
    });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data: Buffer, isBinary) => this.onFrame(data, isBinary));
    this.ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    // Socket errors are followed by close; the close event carries what the agent acts on, with
    // the error as its reason when the socket closed without a close frame (1006).
    this.ws.on('error', (err: NodeJS.ErrnoException) => (this.lastError = err.code ?? err.message));
  }

  get ready(): boolean {
    return this.open && !this.closed;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends a message; returns its sequence number, or -1 when the link is not ready. */
  send(type: MessageTypeCode, message: unknown): number {
    if (!this.prefix || this.closed || this.ws.readyState !== WebSocket.OPEN) return -1;
    const seq = ++this.sendSeq;
    this.ws.send(encodeFrame(this.opts.credentials.secret, this.prefix, type, seq, Date.now(), message));
    return seq;
  }

  close(code = 1000, reason = 'agent closing'): void {
    if (this.closed) return;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  terminate(): void {
    this.ws.terminate();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (!isBinary || this.closed) return;
    try {
      if (!this.prefix) return this.onWelcome(data);
      const frame = verifyFrame(data, {
        key: this.opts.credentials.secret,
        prefix: this.prefix,
        lastSeq: this.recvSeq,
        now: Date.now(),
        clockSkewMs: this.opts.clockSkewMs ?? 300_000,
      });
      this.recvSeq = frame.seq;
      const body = decodePayload(frame.payload) as any;
      switch (frame.type) {
        case MessageType.ack:
          return void this.emit('ack', body as AckMessage);
        case MessageType.error:
          return void this.emit('refused', body as ErrorMessage);
        case MessageType.config:
          return void this.emit('config', body as ConfigMessage);
        case MessageType.task:
          return void this.emit('task', body);
        default:
          return;
      }
    } catch (err) {
      // A server frame that does not verify: do not trust this connection any further.
      const reason = err instanceof FrameError ? err.code : 'FRAME_UNREADABLE';
      this.close(4000, reason);
    }
  }

  private onWelcome(data: Buffer): void {
    const header = readHeader(data);
    if (header.type !== MessageType.welcome) throw new FrameError(4000, 'PROTOCOL_VIOLATION', 'expected welcome');
    const body = decodePayload(data.subarray(HEADER_BYTES)) as Partial<WelcomeMessage>;
    if (!(body.session instanceof Uint8Array) || body.session.length !== SESSION_BYTES) {
      throw new FrameError(4000, 'PROTOCOL_VIOLATION', 'welcome without a session nonce');
    }
    const prefix = macPrefix(this.opts.credentials.agentId, body.session);
    // The welcome is signed too: verifying it proves the server holds this agent's key.
    verifyFrame(data, { key: this.opts.credentials.secret, prefix, lastSeq: 0, now: Date.now(), clockSkewMs: this.opts.clockSkewMs ?? 300_000 });
    this.prefix = prefix;
    this.recvSeq = header.seq;
    this.open = true;
    this.send(MessageType.hello, { ...this.opts.hello, protocol: PROTOCOL_VERSION } satisfies HelloMessage);
    this.emit('ready');
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.emit('close', code, reason || this.lastError);
  }
}
