/**
 * The agent gateway: one WebSocket per agent at /agent, binary frames (protocol/frame.ts).
 * Connection life: upgrade (agent id looked up, asynchronously) → welcome (session nonce) →
 * hello (first signed agent frame: proves the key) → heartbeats, metrics, inventory, task results.
 * Every refusal closes only the offending connection, with its own close code, and is counted.
 * Per-connection state is the socket's user data; the only maps are agent id → socket.
 */
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior, us_socket_context_t } from 'uWebSockets.js';
import { isUuid, type AgentCredentials, type AgentDirectory, type AgentState } from '../auth/agents.js';
import type { Config } from '../config.js';
import { AppError, isServerFault } from '../errors.js';
import type { EventBus } from '../events.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Logger } from '../log.js';
import type { Presence } from '../cluster/presence.js';
import { CloseCode, closeCodeName } from '../../protocol/close-codes.js';
import { FrameError, decodePayload, encodeFrame, macPrefix, verifyFrame, type VerifiedFrame } from '../../protocol/frame.js';
import {
  MessageType,
  PROTOCOL_VERSION,
  messageTypeName,
  type ConfigMessage,
  type HelloMessage,
  type MessageTypeCode,
  type WelcomeMessage,
} from '../../protocol/messages.js';
import { PayloadError, checkAck, checkError, checkHeartbeat, checkHello, checkInventory, checkMetrics } from '../../protocol/validate.js';
import { AgentKeyring } from './agent-keyring.js';
import { RepeatLog } from './repeat-log.js';
import { takeToken, type Bucket } from './token-bucket.js';

export interface AgentSocket {
  agentId: string;
  hostId: string;
  key: Buffer;
  prefix: Buffer;
  state: AgentState;
  /** Close code to close with as soon as the socket opens (unknown, revoked, server full). */
  reject: number;
  rejectReason: string;
  authed: boolean;
  recvSeq: number;
  sendSeq: number;
  openedAt: number;
  /** When the welcome went out: from then on the agent has HELLO_TIMEOUT_MS to answer with its hello. */
  welcomedAt: number;
  /** Token bucket for metrics frames (the store's budget). */
  metrics: Bucket;
  /** Token bucket for every other frame: heartbeats, inventory, task results, acks, errors. */
  control: Bucket;
  /** Frames refused for rate since `floodSince`; an agent that ignores retryAfterMs is closed (4013). */
  floodCount: number;
  floodSince: number;
  closed: boolean;
  remote: string;
  /** Configuration version the agent runs (from its hello, then what was sent): an equal one is not sent again. */
  configVersion: string | undefined;
}

/** What domain modules plug into the gateway; the gateway imports none of them. */
export interface FrameHandlers {
  hello?(agent: AgentSocket, hello: HelloMessage): Promise<void>;
  inventory?(agent: AgentSocket, report: Record<string, unknown>): Promise<void>;
  taskResult?(agent: AgentSocket, message: unknown): Promise<void>;
  agentAck?(agent: AgentSocket, seq: number): void;
  agentError?(agent: AgentSocket, error: { seq?: number; code: string; message: string }): void;
  /** The configuration an agent runs (intervals, monitoring items). */
  config?(agent: AgentSocket): Promise<Omit<ConfigMessage, 'state'>>;
}

export interface GatewayStats {
  connections: number;
  authenticated: number;
  opened: number;
  closed: number;
  framesIn: number;
  framesOut: number;
  acks: number;
  /** Config pushes that failed and were scheduled again. */
  configRetries: number;
  /** Rejections by close-code name (and refused-frame codes). */
  rejections: Record<string, number>;
}

type Ws = WebSocket<AgentSocket>;

const HELLO_TIMEOUT_MS = 10_000;
/**
 * An unauthenticated socket whose welcome the server has not sent yet (its lookup waits on a busy
 * database) is closed after this long. The agent's own 10 s start at the welcome: a server slow to
 * look an agent up under a connection storm must not count that against the agent and drop it.
 */
const LOOKUP_TIMEOUT_MS = 30_000;
const LAST_SEEN_FLUSH_MS = 15_000;
const LAST_SEEN_SLICE = 500;
const CONFIG_RETRY_FIRST_MS = 1_000;
const CONFIG_RETRY_MAX_MS = 60_000;
/** Non-metric frames: a budget well above what a busy honest agent sends (live task output is ≤ 10/s a stream). */
const CONTROL_RATE_FACTOR = 4;
/** Rate refusals an agent may collect in FLOOD_WINDOW_MS before it is closed for ignoring them. */
const FLOOD_WINDOW_MS = 10_000;

export interface GatewayDeps {
  config: Config['gateway'];
  directory: AgentDirectory;
  pipeline: IngestPipeline;
  bus: EventBus;
  log: Logger;
  handlers?: FrameHandlers;
  /** Told when an agent's session starts and ends here (cluster presence). */
  presence?: Pick<Presence, 'agentOnline' | 'agentOffline'>;
}

export class Gateway {
  private readonly sessions = new Map<string, Ws>();
  private readonly unauthed = new Set<Ws>();
  /** Every agent's key in memory: a connection storm never waits on the database to admit a known agent. */
  readonly keys: AgentKeyring;
  private readonly repeats: RepeatLog;
  private seen = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly configRetries = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: Array<() => void> = [];
  private draining = false;
  readonly stats: GatewayStats = {
    connections: 0,
    authenticated: 0,
    opened: 0,
    closed: 0,
    framesIn: 0,
    framesOut: 0,
    acks: 0,
    configRetries: 0,
    rejections: {},
  };

  constructor(private readonly deps: GatewayDeps) {
    this.keys = new AgentKeyring(deps.directory, deps.bus);
    this.repeats = new RepeatLog(deps.log);
  }

  attach(app: TemplatedApp, path = '/agent'): void {
    const cfg = this.deps.config;
    const behavior: WebSocketBehavior<AgentSocket> = {
      // uWS cuts frames past its limit without a close code; ours, at half of it, answers 4006.
      maxPayloadLength: cfg.maxFrameBytes * 2,
      idleTimeout: cfg.idleTimeoutS,
      sendPingsAutomatically: true,
      maxBackpressure: cfg.maxBufferedBytes * 2,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.open(ws),
      message: (ws, message, isBinary) => this.message(ws, message, isBinary),
      close: (ws, code, message) => this.close(ws, code, message),
    };
    app.ws<AgentSocket>(path, behavior);
    // After the next poll for I/O, not in the timer phase: when this thread was busy past an agent's
    // deadline, the hello waiting in its socket is read first, and the server's lag is not the agent's.
    this.timers.push(setInterval(() => setImmediate(() => this.sweepHelloTimeouts()), 2_000).unref());
    // Until the keys are in memory, agents are looked up in the database as they connect.
    this.keys.load().then(
      (n) => this.deps.log.info({ agents: n }, 'agent keys loaded'),
      (err) => this.deps.log.warn({ err }, 'could not load agent keys; looking agents up as they connect'),
    );
    this.timers.push(setInterval(() => void this.flushLastSeen(), LAST_SEEN_FLUSH_MS).unref());
    this.unsubscribe.push(
      this.deps.bus.on('agent.revoked', ({ agentId }) => {
        const ws = this.sessions.get(agentId);
        if (ws) this.reject(ws, CloseCode.AGENT_REVOKED, 'AGENT_REVOKED', 'agent was revoked');
      }),
      this.deps.bus.on('agent.approved', ({ agentId }) => {
        const ws = this.sessions.get(agentId);
        if (ws) {
          ws.getUserData().state = 'active';
          void this.pushConfig(ws);
        }
      }),
      this.deps.bus.on('agent.config', ({ agentId }) => {
        const ws = this.sessions.get(agentId);
        if (ws) void this.pushConfig(ws);
      }),
    );
  }

  isOnline(agentId: string): boolean {
    return this.sessions.has(agentId);
  }

  onlineAgentIds(): IterableIterator<string> {
    return this.sessions.keys();
  }

  /** Sends a message to an agent connected to this node; false when it is not here. */
  sendTo(agentId: string, type: MessageTypeCode, message: unknown): boolean {
    const ws = this.sessions.get(agentId);
    if (!ws) return false;
    return this.send(ws, type, message);
  }

  /** Closes this node's session of an agent that has connected elsewhere (a half-dead old connection). */
  dropSession(agentId: string, reason: string, openedBefore: number): void {
    const ws = this.sessions.get(agentId);
    // Only a session older than the other node's: the agent may have come back here since.
    if (ws && ws.getUserData().openedAt < openedBefore) this.reject(ws, CloseCode.REPLACED, 'REPLACED', reason);
  }

  /** Graceful stop: refuse new agents and tell connected ones to reconnect (elsewhere, or later). */
  /** First step of a graceful stop: new connections are refused; connected agents still get their acks. */
  stopAccepting(): void {
    this.draining = true;
  }

  closeAll(code: number = CloseCode.SERVER_SHUTDOWN, reason = 'server shutting down'): void {
    this.draining = true;
    for (const ws of [...this.sessions.values(), ...this.unauthed]) this.end(ws, code, reason);
  }

  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.configRetries.forEach(clearTimeout);
    this.unsubscribe.forEach((u) => u());
    this.keys.stop();
    this.repeats.stop();
    await this.flushLastSeen();
  }

  // --- connection life ---------------------------------------------------------------------

  /**
   * Synchronous on purpose: the credential lookup happens in open(). An asynchronous upgrade in
   * uWS v20.30 either warns on every connection (uncorked) or, corked, can close the new socket
   * right after open (uWebSockets.js #1108, uWebSockets #1929).
   */
  private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const now = Date.now();
    const burst = this.deps.config.rateBurst;
    // One spelling per agent (lower-case hex): the cache, the sessions map, the MAC prefix and the
    // database then all agree on who this is.
    const agentId = (req.getHeader('x-aw-agent') || new URLSearchParams(req.getQuery() ?? '').get('agent') || '').toLowerCase();
    const data: AgentSocket = {
      agentId,
      hostId: '',
      key: EMPTY,
      prefix: EMPTY,
      state: 'pending',
      reject: 0,
      rejectReason: '',
      authed: false,
      recvSeq: 0,
      sendSeq: 0,
      openedAt: now,
      welcomedAt: 0,
      metrics: { tokens: burst, tokensAt: now },
      control: { tokens: burst * CONTROL_RATE_FACTOR, tokensAt: now },
      floodCount: 0,
      floodSince: now,
      closed: false,
      configVersion: undefined,
      remote: Buffer.from(res.getRemoteAddressAsText()).toString(),
    };
    if (this.draining) {
      data.reject = CloseCode.SERVER_SHUTDOWN;
      data.rejectReason = 'server shutting down';
    } else if (this.stats.connections >= this.deps.config.maxAgents) {
      data.reject = CloseCode.SERVER_FULL;
      data.rejectReason = 'server holds its maximum of agents; try another node';
    } else if (!isUuid(agentId)) {
      data.reject = CloseCode.AGENT_UNKNOWN;
      data.rejectReason = 'unknown agent';
    }
    res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
  }

  private open(ws: Ws): void {
    const ud = ws.getUserData();
    this.stats.connections++;
    this.stats.opened++;
    if (ud.reject) {
      this.reject(ws, ud.reject, closeCodeName(ud.reject) ?? 'REJECTED', ud.rejectReason);
      return;
    }
    // Until its hello, a socket is on the clock (sweepHelloTimeouts).
    this.unauthed.add(ws);
    const known = this.keys.known(ud.agentId);
    if (known) return this.welcome(ws, ud, known);
    this.keys.lookup(ud.agentId).then(
      (cred) => {
        if (ud.closed) return;
        if (!cred) return this.reject(ws, CloseCode.AGENT_UNKNOWN, 'AGENT_UNKNOWN', 'unknown agent');
        this.welcome(ws, ud, cred);
      },
      (err) => {
        this.deps.log.error({ err, agent: ud.agentId }, 'agent lookup failed');
        if (!ud.closed) this.end(ws, CloseCode.SERVER_UNAVAILABLE, 'agent directory unavailable; retry later');
      },
    );
  }

  /** The agent's key is known: the welcome carries the session nonce every later tag covers, both directions. */
  private welcome(ws: Ws, ud: AgentSocket, cred: AgentCredentials): void {
    if (cred.state === 'revoked') return this.reject(ws, CloseCode.AGENT_REVOKED, 'AGENT_REVOKED', 'agent was revoked');
    const session = randomBytes(16);
    ud.hostId = cred.hostId;
    ud.key = cred.secret;
    ud.prefix = macPrefix(ud.agentId, session);
    ud.state = cred.state;
    const welcome: WelcomeMessage = { session, serverTime: Date.now(), protocol: PROTOCOL_VERSION };
    this.send(ws, MessageType.welcome, welcome);
    ud.welcomedAt = Date.now();
  }

  private close(ws: Ws, code: number, message: ArrayBuffer): void {
    const ud = ws.getUserData();
    const reason = Buffer.from(message).toString();
    if (code === 1006 && !ud.closed && /too big/i.test(reason)) this.count('FRAME_TOO_LARGE');
    this.deps.log.debug({ agent: ud.agentId, code, reason, authed: ud.authed }, 'agent connection closed');
    ud.closed = true;
    this.stats.connections--;
    this.stats.closed++;
    this.unauthed.delete(ws);
    if (ud.authed) {
      this.stats.authenticated--;
      if (this.sessions.get(ud.agentId) === ws) {
        this.sessions.delete(ud.agentId);
        this.deps.presence?.agentOffline(ud.agentId);
      }
      this.seen.add(ud.agentId);
    }
  }

  // --- frames ------------------------------------------------------------------------------

  private message(ws: Ws, message: ArrayBuffer, isBinary: boolean): void {
    const ud = ws.getUserData();
    if (ud.closed) return;
    this.stats.framesIn++;
    try {
      // Until the welcome is sent the socket holds no key: nothing it sends can be verified, so
      // nothing is read (a frame tagged with an empty key would otherwise pass).
      if (!ud.welcomedAt) throw new FrameError(CloseCode.PROTOCOL_VIOLATION, 'PROTOCOL_VIOLATION', 'frame before the welcome');
      if (!isBinary) throw new FrameError(CloseCode.FRAME_MALFORMED, 'FRAME_MALFORMED', 'text frames are not part of the protocol');
      if (message.byteLength > this.deps.config.maxFrameBytes) {
        throw new FrameError(CloseCode.FRAME_TOO_LARGE, 'FRAME_TOO_LARGE', `frame of ${message.byteLength} bytes exceeds ${this.deps.config.maxFrameBytes}`);
      }
      const frame = verifyFrame(new Uint8Array(message), {
        key: ud.key,
        prefix: ud.prefix,
        lastSeq: ud.recvSeq,
        now: Date.now(),
        clockSkewMs: this.deps.config.clockSkewMs,
      });
      ud.recvSeq = frame.seq;
      if (frame.type !== MessageType.metrics && !this.withinControlRate(ws, ud, frame)) return;
      this.dispatch(ws, ud, frame);
    } catch (err) {
      if (err instanceof FrameError) this.reject(ws, err.closeCode, err.code, err.message);
      // A hello that does not parse leaves the socket unauthenticated: nothing more to wait for.
      else if (err instanceof PayloadError && !ud.authed) this.reject(ws, CloseCode.PROTOCOL_VIOLATION, 'PAYLOAD_INVALID', `hello ${err.message}`);
      else if (err instanceof PayloadError) {
        this.repeats.warn(`${ud.agentId}:PAYLOAD_INVALID`, { agent: ud.agentId, code: 'PAYLOAD_INVALID', reason: err.message }, 'agent frame refused');
        this.refuse(ws, ud.recvSeq, 'PAYLOAD_INVALID', err.message);
      } else {
        this.deps.log.error({ err, agent: ud.agentId }, 'frame handling failed');
        this.reject(ws, CloseCode.PROTOCOL_VIOLATION, 'INTERNAL', 'server could not handle the frame');
      }
    }
  }

  /**
   * Every frame type has a budget, not only metrics. A refused frame is answered with RATE_LIMITED
   * and a retry time, except acks and errors (answering those could loop); an agent that keeps
   * sending past its refusals is closed with 4013.
   */
  private withinControlRate(ws: Ws, ud: AgentSocket, frame: VerifiedFrame): boolean {
    const cfg = this.deps.config;
    const wait = takeToken(ud.control, Date.now(), cfg.rateFramesPerS * CONTROL_RATE_FACTOR, cfg.rateBurst * CONTROL_RATE_FACTOR);
    if (!wait) return true;
    if (this.flooding(ws, ud)) return false;
    if (frame.type !== MessageType.ack && frame.type !== MessageType.error && ud.authed) {
      this.refuse(ws, frame.seq, 'RATE_LIMITED', 'agent sends frames faster than its rate limit', wait);
    } else this.count('RATE_LIMITED');
    return false;
  }

  /** Counts a rate refusal; true (and the socket closed) when the agent has ignored too many. */
  private flooding(ws: Ws, ud: AgentSocket): boolean {
    const now = Date.now();
    if (now - ud.floodSince > FLOOD_WINDOW_MS) {
      ud.floodSince = now;
      ud.floodCount = 0;
    }
    if (++ud.floodCount <= this.deps.config.rateBurst * CONTROL_RATE_FACTOR) return false;
    this.reject(ws, CloseCode.RATE_EXCEEDED, 'RATE_EXCEEDED', 'agent kept sending past its rate limit');
    return true;
  }

  private dispatch(ws: Ws, ud: AgentSocket, frame: VerifiedFrame): void {
    const body = decodePayload(frame.payload);
    if (!ud.authed && frame.type !== MessageType.hello) {
      throw new FrameError(CloseCode.PROTOCOL_VIOLATION, 'PROTOCOL_VIOLATION', 'the first agent frame must be hello');
    }
    switch (frame.type) {
      case MessageType.hello:
        return this.onHello(ws, ud, frame.seq, checkHello(body));
      case MessageType.heartbeat:
        checkHeartbeat(body);
        return this.ack(ws, frame.seq);
      case MessageType.metrics:
        return this.onMetrics(ws, ud, frame.seq, body);
      case MessageType.inventory: {
        const { report } = checkInventory(body);
        return this.handOff(ws, ud, frame.seq, this.deps.handlers?.inventory?.(ud, report));
      }
      case MessageType.taskResult:
        return this.handOff(ws, ud, frame.seq, this.deps.handlers?.taskResult?.(ud, body));
      // Checked before the optional call: `f?.(check(x))` skips the check when f is absent.
      case MessageType.ack: {
        const { seq } = checkAck(body);
        this.deps.handlers?.agentAck?.(ud, seq);
        return;
      }
      case MessageType.error: {
        const error = checkError(body);
        this.deps.handlers?.agentError?.(ud, error);
        return;
      }
      default:
        throw new FrameError(CloseCode.PROTOCOL_VIOLATION, 'PROTOCOL_VIOLATION', `agents do not send ${messageTypeName(frame.type)} frames`);
    }
  }

  private onHello(ws: Ws, ud: AgentSocket, seq: number, hello: HelloMessage): void {
    if (ud.authed) throw new FrameError(CloseCode.PROTOCOL_VIOLATION, 'PROTOCOL_VIOLATION', 'hello sent twice');
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw new FrameError(CloseCode.PROTOCOL_UNSUPPORTED, 'PROTOCOL_UNSUPPORTED', `agent speaks protocol ${hello.protocol}, server ${PROTOCOL_VERSION}`);
    }
    ud.authed = true;
    // A copy: the decoder's string is a slice of the whole frame's text, which it would keep alive per agent.
    ud.configVersion = hello.configVersion === undefined ? undefined : Buffer.from(hello.configVersion).toString();
    this.unauthed.delete(ws);
    this.stats.authenticated++;
    // Only now, with the key proven, may a connection take over from an older one.
    const previous = this.sessions.get(ud.agentId);
    if (previous && previous !== ws) this.reject(previous, CloseCode.REPLACED, 'REPLACED', 'a newer connection of this agent took over');
    this.sessions.set(ud.agentId, ws);
    this.deps.presence?.agentOnline(ud.agentId);
    this.seen.add(ud.agentId);
    this.ack(ws, seq);
    const recorded = this.deps.handlers?.hello?.(ud, hello) ?? Promise.resolve();
    recorded.catch((err) => this.deps.log.error({ err, agent: ud.agentId }, 'recording hello failed'));
    void this.pushConfig(ws);
  }

  private onMetrics(ws: Ws, ud: AgentSocket, seq: number, body: unknown): void {
    if (ud.state !== 'active') return this.refuse(ws, seq, 'AGENT_PENDING', 'agent waits for approval; metrics are not accepted yet', 30_000);
    const wait = takeToken(ud.metrics, Date.now(), this.deps.config.rateFramesPerS, this.deps.config.rateBurst);
    if (wait) {
      if (!this.flooding(ws, ud)) this.refuse(ws, seq, 'RATE_LIMITED', 'agent sends frames faster than its rate limit', wait);
      return;
    }
    if (ws.getBufferedAmount() > this.deps.config.maxBufferedBytes) {
      return this.refuse(ws, seq, 'BACKPRESSURE', 'connection has too much unsent data', 1000);
    }
    // A full queue refuses before the frame's points are checked: under overload every refusal must cost
    // little, or refusing (and the resends it brings) takes the CPU the writes need and goodput collapses.
    if (this.deps.pipeline.full) return this.refuse(ws, seq, 'INGEST_BUSY', 'ingest queue is full', busyRetryMs());
    const { batch, points } = checkMetrics(body);
    const accepted = this.deps.pipeline.offer({
      agentId: ud.agentId,
      hostId: ud.hostId,
      batch,
      points,
      committed: () => this.ack(ws, seq),
      refused: (retryAfterMs) => this.refuse(ws, seq, 'STORE_UNAVAILABLE', 'metric store did not take the batch', retryAfterMs),
      invalid: (reason) => this.refuse(ws, seq, 'PAYLOAD_INVALID', `metric store refused the batch as invalid: ${reason}`),
    });
    if (!accepted) this.refuse(ws, seq, 'INGEST_BUSY', 'ingest queue is full', busyRetryMs());
  }

  private handOff(ws: Ws, ud: AgentSocket, seq: number, work: Promise<void> | undefined): void {
    if (!work) return this.refuse(ws, seq, 'NOT_SUPPORTED', 'this server does not handle that message yet');
    work.then(
      () => this.ack(ws, seq),
      (err) => {
        // The handler's own refusal (invalid content: a 4xx kind) is final: resending cannot help.
        // Anything else is the server's trouble: the agent keeps the message and retries; the
        // details stay in the server's log, never in the agent's.
        if (err instanceof PayloadError) return this.refuse(ws, seq, 'PAYLOAD_INVALID', err.message);
        if (err instanceof AppError && !isServerFault(err)) {
          this.repeats.warn(`${ud.agentId}:${err.code}`, { agent: ud.agentId, code: err.code, reason: err.message }, 'agent message refused');
          return this.refuse(ws, seq, err.code, err.message);
        }
        this.repeats.warn(`${ud.agentId}:HANDLER_FAILED`, { agent: ud.agentId, err }, 'agent message handler failed');
        this.refuse(ws, seq, 'HANDLER_FAILED', 'server could not record the message; retry later', 5000);
      },
    );
  }

  /**
   * Sends the agent its current configuration. A failure (the database busy or down while building
   * it, the frame dropped under backpressure) is retried with backoff for as long as this session
   * lives: the agent must not keep running an old configuration until its next reconnect. Each try
   * builds the configuration afresh, so a late retry never sends a stale one.
   */
  private async pushConfig(ws: Ws, attempt = 0): Promise<void> {
    const ud = ws.getUserData();
    try {
      const rest = (await this.deps.handlers?.config?.(ud)) ?? { intervalS: this.deps.config.agentIntervalS, heartbeatS: this.deps.config.agentHeartbeatS };
      if (ud.closed) return;
      // The state and intervals always go (they may have changed while the agent was away); the
      // monitoring part only when the agent does not run this version yet.
      const { monitoring, ...always } = rest;
      const unchanged = rest.version !== undefined && rest.version === ud.configVersion;
      const message: ConfigMessage = {
        ...always,
        ...(unchanged || monitoring === undefined ? {} : { monitoring }),
        state: ud.state === 'active' ? 'active' : 'pending',
      };
      if (!this.send(ws, MessageType.config, message)) throw new Error('config frame dropped (socket backpressure)');
      if (message.monitoring) ud.configVersion = rest.version;
    } catch (err) {
      if (ud.closed) return;
      // Jittered: thousands of sessions failing together (the database overloaded) must not retry in step.
      const delayMs = Math.round(Math.min(CONFIG_RETRY_MAX_MS, CONFIG_RETRY_FIRST_MS * 2 ** attempt) * (0.5 + Math.random()));
      this.deps.log.warn({ err, agent: ud.agentId, attempt: attempt + 1, retryInMs: delayMs }, 'agent config push failed; retrying');
      this.stats.configRetries++;
      const timer = setTimeout(() => {
        this.configRetries.delete(timer);
        if (!ud.closed && this.sessions.get(ud.agentId) === ws) void this.pushConfig(ws, attempt + 1);
      }, delayMs);
      timer.unref();
      this.configRetries.add(timer);
    }
  }

  // --- sending and refusing ----------------------------------------------------------------

  private send(ws: Ws, type: MessageTypeCode, message: unknown): boolean {
    const ud = ws.getUserData();
    if (ud.closed) return false;
    ud.sendSeq++;
    const frame = encodeFrame(ud.key, ud.prefix, type, ud.sendSeq, Date.now(), message);
    this.stats.framesOut++;
    // 2 = dropped past maxBackpressure; the agent's own ack timeout then resends.
    return ws.send(frame, true) !== 2;
  }

  private ack(ws: Ws, seq: number): void {
    this.stats.acks++;
    this.send(ws, MessageType.ack, { seq });
  }

  /** A frame not accepted, connection kept: the agent keeps the data and retries if told when. */
  private refuse(ws: Ws, seq: number, code: string, message: string, retryAfterMs?: number): void {
    this.count(code);
    this.send(ws, MessageType.error, retryAfterMs === undefined ? { seq, code, message } : { seq, code, message, retryAfterMs });
  }

  private reject(ws: Ws, closeCode: number, code: string, reason: string): void {
    const ud = ws.getUserData();
    this.count(closeCodeName(closeCode) ?? code);
    this.repeats.warn(
      `${ud.agentId || ud.remote}:${code}`,
      { agent: ud.agentId || undefined, remote: ud.remote, close: closeCode, code, reason },
      'agent connection refused',
    );
    this.end(ws, closeCode, reason);
  }

  private end(ws: Ws, code: number, reason: string): void {
    const ud = ws.getUserData();
    if (ud.closed) return;
    ud.closed = true;
    // Printable ASCII only: a reason may quote what the peer sent, and it goes back on the wire.
    ws.end(code, reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 120));
  }

  private count(code: string): void {
    this.stats.rejections[code] = (this.stats.rejections[code] ?? 0) + 1;
  }

  private sweepHelloTimeouts(): void {
    const now = Date.now();
    for (const ws of this.unauthed) {
      const { welcomedAt, openedAt } = ws.getUserData();
      if (welcomedAt ? now - welcomedAt > HELLO_TIMEOUT_MS : now - openedAt > LOOKUP_TIMEOUT_MS) {
        this.reject(ws, CloseCode.HELLO_TIMEOUT, 'HELLO_TIMEOUT', welcomedAt ? 'no hello within 10 s of the welcome' : 'agent lookup took too long');
      }
    }
  }

  private async flushLastSeen(): Promise<void> {
    const ids = [...new Set([...this.seen, ...this.sessions.keys()])];
    this.seen = new Set();
    const at = new Date();
    // In slices, the event loop served between them: one UPDATE of 5,000 rows held PGlite (in this
    // thread) for 300-500 ms every 15 s, and a server's rows stay locked only a slice at a time.
    for (let i = 0; i < ids.length; i += LAST_SEEN_SLICE) {
      if (i) await new Promise((r) => setImmediate(r));
      try {
        await this.deps.directory.touch(ids.slice(i, i + LAST_SEEN_SLICE), at);
      } catch (err) {
        this.deps.log.warn({ err }, 'could not record last-seen times');
        return;
      }
    }
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * When to send a refused batch again while the ingest queue is full: 2-8 s, spread, so thousands of
 * agents refused together do not come back in the same second (a fixed 1 s brought each refused frame
 * back once a second and the resends swamped the writes: 175,000 points/s offered, goodput near zero).
 */
function busyRetryMs(): number {
  return 2000 + Math.floor(Math.random() * 6000);
}
