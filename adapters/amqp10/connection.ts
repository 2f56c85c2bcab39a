import type { Duplex } from 'node:stream';
import type { Connection, Container, EventContext, Receiver, Sender, Session } from 'rhea';
import type {
  AdapterContext,
  ConnectionInfo,
  ConnectionSummary,
  Logger,
  MessageOrigin,
  Principal,
  PublishGate,
  VhostApi,
} from '../../src/spi.js';
import { toAmqp10Error } from './errors.js';
import { FrameGuard, type FrameViolation } from './frame-guard.js';
import { IncomingLink } from './incoming-link.js';
import { isManagementAttach, ManagementNode, type ManagementEndpoint } from './management-link.js';
import type { LinkHost } from './link-host.js';
import type { Amqp10Options } from './options.js';
import { OutgoingLink } from './outgoing-link.js';
import {
  acceptConnection,
  allowPairedLinkNames,
  announceHandleMax,
  remoteChannel,
  setSaslMechanisms,
} from './rhea-internals.js';
import { saslMechanisms } from './sasl.js';
import { traceAmqp10Frames } from './frame-trace.js';

type Link = IncomingLink | OutgoingLink | ManagementEndpoint;

/** rhea errors thrown by one frame that concern only its session (AMQP 1.0 2.8.16). */
const SESSION_ERRORS: readonly [RegExp, string][] = [
  [
    /^Invalid handle|transfer after detach|got transfer on sending link/,
    'amqp:session:unattached-handle',
  ],
  [/circular buffer overflow/, 'amqp:session:window-violation'],
];

/**
 * One AMQP 1.0 connection: SASL against the gateway's authenticator, then rhea's endpoint
 * state machine with our link handlers. rhea gets our Duplex through a FrameGuard (see
 * frame-guard.ts) the way container.js `listen` hands it a socket:
 * `container.create_connection(options)` + `accept(socket)`.
 */
export class Amqp10Connection implements LinkHost {
  readonly info: ConnectionInfo;
  readonly connectionId: string;
  readonly options: Amqp10Options;
  readonly origin: MessageOrigin;
  readonly log: Logger;
  readonly #ctx: AdapterContext<Amqp10Options>;
  readonly #guard: FrameGuard;
  readonly #connection: Connection;
  readonly #links = new Map<Sender | Receiver, Link>();
  readonly #linksPerSession = new Map<Session, number>();
  readonly #onGone: (c: Amqp10Connection) => void;
  #principal: Principal | undefined;
  #vhost: VhostApi | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #management: ManagementNode | undefined;
  #gone = false;
  readonly #unsubscribeAlarm: () => void;
  readonly #publishGate: PublishGate;
  /** The publish gate holds this connection's credit (over its rate, or alarm and publisher). */
  #gateHeld = false;
  #resolveClosed!: () => void;
  /** Resolves when the socket is gone and everything is cleaned up. */
  readonly closed = new Promise<void>((resolve) => {
    this.#resolveClosed = resolve;
  });

  constructor(
    stream: Duplex,
    info: ConnectionInfo,
    ctx: AdapterContext<Amqp10Options>,
    container: Container,
    onGone: (c: Amqp10Connection) => void,
  ) {
    this.info = info;
    this.connectionId = info.id;
    this.#ctx = ctx;
    this.options = ctx.config;
    this.origin = { protocol: 'amqp10', connectionId: info.id };
    this.log = ctx.log.child({ connection: info.id });
    if (ctx.frameTracer.enabled) traceAmqp10Frames(stream, ctx.frameTracer, this.log);
    this.#onGone = onGone;
    const o = this.options;
    this.#guard = new FrameGuard(
      stream,
      {
        maxFrameSize: o.maxFrameSize,
        maxSaslFrameSize: o.maxSaslFrameSize,
        channelMax: o.channelMax,
        maxMessageSize: o.maxMessageSize,
        closeTimeoutMs: o.closeTimeoutMs,
      },
      (v) => {
        this.#violation(v);
      },
    );
    // A child container per connection: rhea hands SASL mechanisms no connection, so each
    // connection's mechanisms close over its own ConnectionInfo and login result.
    const perConnection = container.create_container({ id: container.id });
    setSaslMechanisms(
      perConnection,
      saslMechanisms({
        authn: ctx.authn,
        info,
        anonymous: o.allowAnonymous ? { ...o.anonymousLogin } : undefined,
        loggedIn: (p) => {
          this.#principal = p;
          setImmediate(() => {
            this.#guard.saslSucceeded();
          });
        },
        refused: () => {
          this.log.info({ remote: info.remoteAddress }, 'AMQP 1.0 login refused');
          setImmediate(() => {
            this.#guard.end();
          });
        },
      }),
    );
    this.#connection = perConnection.create_connection({
      id: info.id,
      container_id: container.id,
      max_frame_size: o.maxFrameSize,
      channel_max: o.channelMax,
      idle_time_out: o.idleTimeoutMs > 0 ? o.idleTimeoutMs : undefined,
      require_sasl: true,
      reconnect: false,
      session_buffer_size: o.sessionWindow,
      // Our receivers settle after the core took the message and grant credit themselves.
      autoaccept: false,
      credit_window: 0,
      // `modified` keeps its delivery-failed / undeliverable-here flags.
      treat_modified_as_released: false,
    } as never);
    this.#listen();
    // rhea reports 'disconnected' only for connections that were not closed cleanly.
    stream.once('close', () => {
      this.#cleanup();
    });
    acceptConnection(this.#connection, this.#guard);
    this.#handshakeTimer = setTimeout(() => {
      this.log.info({}, 'AMQP 1.0 handshake timeout');
      this.#guard.destroy();
    }, o.handshakeTimeoutMs);
    ctx.metrics.connectionOpened('amqp10');
    this.#unsubscribeAlarm = ctx.memoryAlarm.subscribe((raised) => {
      if (!raised) this.#resumeCredit();
    });
    this.#publishGate = ctx.publishGate({
      pause: () => {
        this.#gateHeld = true;
      },
      resume: () => {
        this.#gateHeld = false;
        this.#resumeCredit();
      },
    });
  }

  #resumeCredit(): void {
    for (const link of this.#links.values()) if (link instanceof IncomingLink) link.creditResumed();
  }

  get vhost(): VhostApi {
    if (!this.#vhost) throw new Error('connection not open');
    return this.#vhost;
  }
  get vhostName(): string {
    return this.vhost.name;
  }
  get principal(): Principal {
    if (!this.#principal) throw new Error('not authenticated');
    return this.#principal;
  }
  get authz(): AdapterContext['authz'] {
    return this.#ctx.authz;
  }
  get metrics(): AdapterContext['metrics'] {
    return this.#ctx.metrics;
  }
  get writeBlocked(): boolean {
    return this.#guard.writeBlocked;
  }
  get creditHeld(): boolean {
    return this.#gateHeld || this.#ctx.memoryAlarm.raised;
  }
  published(): void {
    this.#publishGate.published();
  }

  summary(): ConnectionSummary {
    return {
      id: this.connectionId,
      protocol: 'amqp10',
      remoteAddress: this.info.remoteAddress,
      user: this.#principal?.username,
      vhost: this.#vhost?.name,
    };
  }

  /** Close with an error (connection-severity) and let the peer answer. */
  fail(err: unknown): void {
    const e = toAmqp10Error(err);
    this.close({ condition: e.condition, description: e.description });
  }

  /** Close (with an error, if given); a peer that does not answer its close is cut off. */
  close(error?: { condition: string; description: string }): void {
    if (this.#closeTimer || this.#gone) return;
    this.#closeTimer = setTimeout(() => {
      this.#guard.destroy();
    }, this.options.closeTimeoutMs);
    if (this.#connection.is_open()) this.#connection.close(error);
    else this.#guard.end();
  }

  destroy(): void {
    this.#guard.destroy();
  }

  #listen(): void {
    const c = this.#connection;
    c.on('connection_open', () => {
      this.#onOpen();
    });
    c.on('connection_close', () => undefined);
    c.on('connection_error', () => undefined);
    c.on('disconnected', () => {
      this.#cleanup();
    });
    c.on('error', (err: unknown) => {
      this.#onRheaError(err);
    });
    c.on('protocol_error', (err: unknown) => {
      this.#onRheaError(err);
    });
    c.on('session_open', (ctx: EventContext) => {
      this.#onSessionOpen(ctx);
    });
    c.on('session_close', (ctx: EventContext) => {
      this.#onSessionClose(ctx);
    });
    c.on('session_error', () => undefined);
    c.on('sender_open', (ctx: EventContext) => {
      this.#onAttach(ctx, ctx.sender);
    });
    c.on('receiver_open', (ctx: EventContext) => {
      this.#onAttach(ctx, ctx.receiver);
    });
    c.on('sender_close', (ctx: EventContext) => {
      this.#onDetach(ctx.sender);
    });
    c.on('receiver_close', (ctx: EventContext) => {
      this.#onDetach(ctx.receiver);
    });
    c.on('sender_error', () => undefined);
    c.on('receiver_error', () => undefined);
    this.#guard.on('drain', () => {
      for (const link of this.#links.values()) if (link instanceof OutgoingLink) link.resume();
    });
  }

  /** open (AMQP 1.0 2.7.1): the hostname names the vhost (`vhost:<name>` as RabbitMQ also
   * accepts); rhea answers with our open (max-frame-size, channel-max, idle-time-out). */
  #onOpen(): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    const hostname = this.#connection.hostname;
    const requested =
      typeof hostname === 'string' && hostname.startsWith('vhost:') ? hostname.slice(6) : undefined;
    const name = requested ?? this.#ctx.broker.defaultVhost;
    const principal = this.principal;
    if (principal.vhosts && !principal.vhosts.includes(name)) {
      this.#connection.close({
        condition: 'amqp:unauthorized-access',
        description: `no access to vhost '${name}'`,
      });
      return;
    }
    try {
      this.#vhost = this.#ctx.broker.vhost(name);
    } catch (err) {
      this.fail(err);
    }
  }

  /** begin (AMQP 1.0 2.7.2). Past `maxSessions` the session is refused the way AMQP 1.0
   * refuses endpoints: our begin, then end with the error; the connection stays. */
  #onSessionOpen(ctx: EventContext): void {
    const session = ctx.session;
    if (!session) return;
    if (this.#linksPerSession.size >= this.options.maxSessions) {
      session.close({
        condition: 'amqp:resource-limit-exceeded',
        description: `at most ${this.options.maxSessions} sessions per connection`,
      });
      return;
    }
    allowPairedLinkNames(session);
    announceHandleMax(session, this.options.maxLinksPerSession - 1);
    this.#linksPerSession.set(session, 0);
  }

  #onSessionClose(ctx: EventContext): void {
    const session = ctx.session;
    if (!session) return;
    this.#linksPerSession.delete(session);
    for (const [endpoint, link] of this.#links) {
      if (endpoint.session === session) {
        link.close();
        this.#links.delete(endpoint);
      }
    }
  }

  #onAttach(ctx: EventContext, endpoint: Sender | Receiver | undefined): void {
    const session = ctx.session;
    if (!endpoint || !session || !this.#vhost) return;
    // undefined: a session we refused (and ended).
    const count = this.#linksPerSession.get(session);
    if (count === undefined) return;
    if (count >= this.options.maxLinksPerSession) {
      endpoint.close({
        condition: 'amqp:resource-limit-exceeded',
        description: `at most ${this.options.maxLinksPerSession} links per session`,
      });
      return;
    }
    if (this.#guard.coordinatorAttach) {
      // AMQP 1.0 4.x transactions are not built: refuse the coordinator link (2.6.3).
      endpoint.close({
        condition: 'amqp:not-implemented',
        description: 'transactions (a coordinator target) are not supported',
      });
      return;
    }
    const link = isManagementAttach(endpoint)
      ? (this.#management ??= new ManagementNode(this)).open(endpoint)
      : endpoint.is_sender()
        ? OutgoingLink.open(this, endpoint as Sender)
        : IncomingLink.open(this, endpoint as Receiver);
    if (!link) return;
    this.#links.set(endpoint, link);
    this.#linksPerSession.set(session, count + 1);
  }

  #onDetach(endpoint: Sender | Receiver | undefined): void {
    if (!endpoint) return;
    const link = this.#links.get(endpoint);
    if (!link) return;
    link.close();
    this.#links.delete(endpoint);
    const n = this.#linksPerSession.get(endpoint.session);
    if (n !== undefined) this.#linksPerSession.set(endpoint.session, n - 1);
  }

  /** A frame made rhea throw. Frames reach rhea one at a time, so the state is still sound:
   * a session-scoped fault ends that session, anything else closes the connection with the
   * most precise condition we have (rhea would only drop the socket). */
  #onRheaError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const name = err instanceof Error ? err.name : '';
    const channel = this.#guard.lastChannel;
    for (const [pattern, condition] of SESSION_ERRORS) {
      if (!pattern.test(message)) continue;
      const session = this.#sessionOn(channel);
      if (session) {
        this.#guard.keepOpenOnce = true;
        session.close({ condition, description: message });
        return;
      }
    }
    this.log.info({ err: message }, 'AMQP 1.0 protocol error');
    this.#guard.stop();
    const condition = name === 'TypeError' ? 'amqp:decode-error' : 'amqp:connection:framing-error';
    this.close({ condition, description: message });
  }

  #sessionOn(channel: number | undefined): Session | undefined {
    if (channel === undefined) return undefined;
    for (const session of this.#linksPerSession.keys())
      if (remoteChannel(session) === channel) return session;
    return undefined;
  }

  #violation(v: FrameViolation): void {
    this.log.info({ condition: v.condition, reason: v.description }, 'AMQP 1.0 framing error');
    if (v.beforeOpen || !this.#connection.is_remote_open()) {
      this.#guard.end();
      return;
    }
    this.close({ condition: v.condition, description: v.description });
  }

  #cleanup(): void {
    if (this.#gone) return;
    this.#gone = true;
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#unsubscribeAlarm();
    this.#publishGate.close();
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
    this.#linksPerSession.clear();
    this.#vhost?.releaseConnection(this.connectionId);
    this.#ctx.metrics.connectionClosed('amqp10');
    this.#onGone(this);
    this.#resolveClosed();
  }
}
