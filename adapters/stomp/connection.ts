import type { Duplex } from 'node:stream';
import { BrokerError } from '../../src/spi.js';
import type {
  AdapterContext,
  ConnectionInfo,
  ConnectionSummary,
  Credentials,
  Delivery,
  Logger,
  Permission,
  Principal,
  PublishGate,
  Resource,
  VhostApi,
} from '../../src/spi.js';
import type { HeaderList, StompFrame, StompVersion } from './frame.js';
import { SUPPORTED_VERSIONS } from './frame.js';
import { FrameParser } from './frame-parser.js';
import { encodeFrame, HEARTBEAT } from './frame-writer.js';
import { Heartbeats } from './heartbeat.js';
import { negotiateHeartbeat, negotiateVersion } from './negotiate.js';
import { errorContent, StompProtocolError } from './errors.js';
import { Transactions } from './transactions.js';
import type { Subscription, SubscriptionOwner } from './subscription.js';
import { encodeMessage } from './message-frame.js';
import type { StompOptions } from './options.js';
import { handleSend } from './handlers/send.js';
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe.js';
import { handleAck } from './handlers/ack.js';

const SERVER_NAME = 'multiproto-gateway/0.1.0';

type State = 'awaiting-connect' | 'connecting' | 'connected' | 'closing' | 'closed';

/**
 * The STOMP processor for one connection, over any Duplex (TCP socket or WebSocket stream).
 * Frames are handled in arrival order; a failure sends one ERROR frame (with `receipt-id` when
 * the failing frame asked for a receipt) and closes this connection only (STOMP 1.2 ERROR).
 */
export class StompConnection implements SubscriptionOwner {
  readonly info: ConnectionInfo;
  readonly ctx: AdapterContext<StompOptions>;
  readonly options: StompOptions;
  readonly log: Logger;
  readonly subscriptions = new Map<string, Subscription>();
  readonly transactions: Transactions;
  /** Publish rate limit and memory alarm: SEND pauses reading when over. */
  readonly publishGate: PublishGate;
  /** `/queue/` names this session already declared on SEND (RabbitMQ declares once per session). */
  readonly declaredQueues = new Set<string>();
  /** `/temp-queue/<name>` -> the real reply queue. */
  readonly tempQueues = new Map<string, string>();
  version: StompVersion = '1.0';
  principal: Principal | undefined;
  vhostApi: VhostApi | undefined;

  private readonly stream: Duplex;
  private readonly parser: FrameParser;
  private readonly heartbeats = new Heartbeats();
  private readonly onClosed: () => void;
  /** Web STOMP `useHttpAuth`: the upgrade's Basic credentials, used instead of CONNECT's. */
  private readonly httpCredentials: Credentials | undefined;
  private readonly pendingCommits = new Set<Promise<void>>();
  private readonly inbox: StompFrame[] = [];
  private state: State = 'awaiting-connect';
  private deliveryTag = 0;
  private corked = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private resolveClosed: () => void = () => undefined;
  private readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    stream: Duplex,
    info: ConnectionInfo,
    ctx: AdapterContext<StompOptions>,
    httpCredentials: Credentials | undefined,
    onClosed: () => void,
  ) {
    this.stream = stream;
    this.httpCredentials = httpCredentials;
    this.info = info;
    this.ctx = ctx;
    this.options = ctx.config;
    this.onClosed = onClosed;
    this.log = ctx.log.child({ connId: info.id, transport: info.transport });
    this.publishGate = ctx.publishGate({
      pause: () => {
        this.heartbeats.hold(true);
        stream.pause();
      },
      resume: () => {
        this.heartbeats.hold(false);
        stream.resume();
      },
    });
    this.transactions = new Transactions(
      this.options.maxTransactions,
      this.options.maxTransactionActions,
    );
    this.parser = new FrameParser(
      {
        maxFrameSize: this.options.maxFrameSize,
        maxHeaders: this.options.maxHeaders,
        maxHeaderLength: this.options.maxHeaderLength,
      },
      (frame) => {
        this.onFrame(frame);
      },
    );
    stream.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    stream.on('drain', () => {
      for (const sub of this.subscriptions.values()) sub.resume();
    });
    stream.on('error', (err) => {
      this.log.debug({ err }, 'stream error');
      this.cleanup();
    });
    stream.on('end', () => {
      this.cleanup();
    });
    stream.on('close', () => {
      this.cleanup();
    });
    this.connectTimer = setTimeout(() => {
      this.fail(
        new StompProtocolError(
          'Connect timeout',
          `no CONNECT within ${this.options.connectTimeoutMs} ms`,
        ),
      );
    }, this.options.connectTimeoutMs);
    ctx.metrics.connectionOpened('stomp');
  }

  get id(): string {
    return this.info.id;
  }

  get vhost(): VhostApi {
    if (!this.vhostApi) throw new StompProtocolError('Not connected', 'frame before CONNECT');
    return this.vhostApi;
  }

  get username(): string {
    return this.principal?.username ?? '';
  }

  /** The permission check where RabbitMQ makes it (configure / write / read). */
  authorize(perm: Permission, kind: Resource['kind'], name: string, routingKey?: string): void {
    if (!this.principal) throw new StompProtocolError('Not connected', 'frame before CONNECT');
    this.ctx.authz.check(this.principal, perm, { vhost: this.vhost.name, kind, name, routingKey });
  }

  summary(): ConnectionSummary {
    return {
      id: this.id,
      protocol: 'stomp',
      remoteAddress: this.info.remoteAddress,
      user: this.principal?.username,
      vhost: this.vhostApi?.name,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Input

  private onData(chunk: Buffer): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.heartbeats.received();
    try {
      this.parser.push(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  private onFrame(frame: StompFrame): void {
    if (this.ctx.frameTracer.enabled) {
      this.ctx.frameTracer.frame(this.log, 'in', frame.command, frame.body.length, frame.body);
    }
    if (this.state === 'connecting') {
      // Frames pipelined behind CONNECT wait for the login to finish.
      this.inbox.push(frame);
      return;
    }
    if (this.state !== 'awaiting-connect' && this.state !== 'connected') return;
    try {
      this.dispatch(frame);
    } catch (err) {
      this.fail(err, frame);
    }
  }

  private dispatch(frame: StompFrame): void {
    if (this.state === 'awaiting-connect') {
      if (frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
        throw new StompProtocolError('Bad CONNECT', `expected CONNECT, got ${frame.command}`);
      }
      this.connect(frame);
      return;
    }
    switch (frame.command) {
      case 'SEND':
        handleSend(this, frame);
        return;
      case 'SUBSCRIBE':
        handleSubscribe(this, frame);
        break;
      case 'UNSUBSCRIBE':
        handleUnsubscribe(this, frame);
        break;
      case 'ACK':
        handleAck(this, frame, undefined);
        break;
      case 'NACK':
        // NACK `requeue` (RabbitMQ extension): default true; false dead-letters or drops.
        handleAck(this, frame, frame.headers.get('requeue') !== 'false');
        break;
      case 'BEGIN':
        this.transactions.begin(this.required(frame, 'transaction'));
        break;
      case 'COMMIT':
        this.commit(frame);
        return;
      case 'ABORT':
        this.transactions.abort(this.required(frame, 'transaction'));
        break;
      case 'DISCONNECT':
        this.disconnect(frame);
        return;
      case 'CONNECT':
      case 'STOMP':
        throw new StompProtocolError('Already connected', 'a second CONNECT on one connection');
      default:
        throw new StompProtocolError(
          'Unknown command',
          `unknown command '${frame.command.slice(0, 64)}'`,
        );
    }
    this.receipt(frame);
  }

  required(frame: StompFrame, name: string): string {
    const value = frame.headers.get(name);
    if (value === undefined) {
      throw new StompProtocolError(`Missing header`, `${frame.command} needs a '${name}' header`);
    }
    return value;
  }

  // -------------------------------------------------------------------------------------------
  // CONNECT (STOMP 1.2 "Connecting")

  private connect(frame: StompFrame): void {
    const version = negotiateVersion(frame.headers.get('accept-version'));
    if (version === undefined) {
      // STOMP 1.2: the ERROR carries the versions we speak.
      this.sendError('Bad CONNECT', 'no common protocol version', frame, [
        ['version', SUPPORTED_VERSIONS.join(',')],
      ]);
      return;
    }
    const { sendMinMs, receiveMinMs, grace } = this.options.heartbeat;
    const plan = negotiateHeartbeat(frame.headers.get('heart-beat'), sendMinMs, receiveMinMs);
    this.state = 'connecting';
    this.stream.pause();
    this.ctx.authn
      .authenticate(this.credentials(frame), this.info)
      .then((principal) => {
        if (this.state !== 'connecting') return;
        const vhost = this.resolveVhost(frame.headers.get('host'));
        // RabbitMQ refuses a vhost the user has no access to.
        if (principal.vhosts && !principal.vhosts.includes(vhost.name)) {
          throw new BrokerError('GW_ERR_ACCESS_REFUSED', `no access to vhost '${vhost.name}'`);
        }
        this.vhostApi = vhost;
        this.principal = principal;
        this.version = version;
        this.parser.setVersion(version);
        clearTimeout(this.connectTimer);
        this.connectTimer = undefined;
        this.state = 'connected';
        this.write(
          encodeFrame('CONNECTED', [
            ['version', version],
            ['server', SERVER_NAME],
            ['session', this.id],
            ['heart-beat', `${sendMinMs},${receiveMinMs}`],
          ]),
        );
        this.heartbeats.start(
          plan,
          grace,
          () => this.write(HEARTBEAT),
          () => {
            this.fail(
              new StompProtocolError(
                'Heart-beat timeout',
                `no data for ${plan.receiveMs * grace} ms`,
              ),
            );
          },
        );
        this.receipt(frame);
        this.stream.resume();
        this.drainInbox();
      })
      .catch((err: unknown) => {
        if (this.state === 'connecting') this.fail(err, frame);
      });
  }

  /** The upgrade's Basic credentials (Web STOMP `useHttpAuth`), else CONNECT `login`/`passcode`,
   * else the default user (RabbitMQ `stomp.default_user`); without `allowAnonymous` the
   * authenticator refuses the empty login. */
  private credentials(frame: StompFrame): Credentials {
    if (this.httpCredentials) return this.httpCredentials;
    const login = frame.headers.get('login');
    // RabbitMQ `stomp.ssl_cert_login`: no login over a verified TLS connection is the CN.
    if (login === undefined && this.info.peerIdentity) return { mechanism: 'EXTERNAL' };
    if (login === undefined && this.options.allowAnonymous) {
      return { username: this.options.defaultUser, password: this.options.defaultPassword };
    }
    return { username: login, password: frame.headers.get('passcode') };
  }

  /** `host` names the vhost (RabbitMQ); a host that is no vhost, like a DNS name, gets the
   * default one so clients that send their server's hostname still connect. */
  private resolveVhost(host: string | undefined): VhostApi {
    const broker = this.ctx.broker;
    if (host !== undefined && host !== broker.defaultVhost) {
      try {
        return broker.vhost(host);
      } catch {
        // Not a vhost name.
      }
    }
    return broker.vhost(broker.defaultVhost);
  }

  private drainInbox(): void {
    while (this.inbox.length > 0 && this.state === 'connected') {
      const frame = this.inbox.shift();
      if (frame) this.onFrame(frame);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Receipts, commits, transactions

  /** STOMP 1.2 RECEIPT: after the frame has been processed. */
  receipt(frame: StompFrame): void {
    const id = frame.headers.get('receipt');
    if (id !== undefined)
      this.write(encodeFrame('RECEIPT', [['receipt-id', id]], undefined, this.version));
  }

  /** Sends the RECEIPT once the store has the message(s); an ERROR if it failed. */
  receiptAfter(frame: StompFrame, commits: readonly (Promise<void> | undefined)[]): void {
    const waiting = commits.filter((c): c is Promise<void> => c !== undefined);
    if (waiting.length === 0) {
      this.receipt(frame);
      return;
    }
    const all = Promise.all(waiting).then(
      () => {
        if (this.state === 'connected' || this.state === 'connecting') this.receipt(frame);
      },
      (err: unknown) => {
        this.fail(err, frame);
      },
    );
    this.pendingCommits.add(all);
    void all.finally(() => this.pendingCommits.delete(all));
  }

  private commit(frame: StompFrame): void {
    const actions = this.transactions.commit(this.required(frame, 'transaction'));
    const commits: (Promise<void> | undefined)[] = [];
    for (const action of actions) commits.push(action());
    this.receiptAfter(frame, commits);
  }

  /** STOMP 1.2 DISCONNECT: the RECEIPT tells the client every earlier frame is done, so it
   * waits for outstanding store commits. */
  private disconnect(frame: StompFrame): void {
    this.state = 'closing';
    const done = (): void => {
      this.receipt(frame);
      this.end();
    };
    if (this.pendingCommits.size === 0) done();
    else void Promise.allSettled([...this.pendingCommits]).then(done);
  }

  // -------------------------------------------------------------------------------------------
  // Output

  private write(buf: Buffer): boolean {
    if (this.state === 'closed' || this.stream.destroyed || this.stream.writableEnded) return false;
    if (this.ctx.frameTracer.enabled) {
      const command = buf.toString('latin1', 0, Math.max(0, buf.indexOf(10))) || 'heart-beat';
      this.ctx.frameTracer.frame(this.log, 'out', command, buf.length);
    }
    this.heartbeats.sent();
    // Frames written in one tick leave together: one syscall (TCP) or one message (WebSocket)
    // instead of one per frame when a burst of deliveries arrives.
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(this.uncork);
    }
    return this.stream.write(buf);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.stream.uncork();
  };

  writeMessage(sub: Subscription, delivery: Delivery): boolean {
    // RabbitMQ's shape; the subscription id inside lets ACK find its subscription.
    const ackId = `T_${sub.spec.id}@@${this.id}@@${++this.deliveryTag}`;
    sub.track(ackId, delivery);
    this.ctx.metrics.messagesOut('stomp');
    this.write(encodeMessage(sub.spec.id, sub.spec.ackMode, ackId, delivery, this.version));
    return !this.stream.writableNeedDrain;
  }

  subscriptionCancelled(sub: Subscription, reason: string): void {
    this.subscriptions.delete(sub.spec.id);
    sub.consumer = undefined;
    this.fail(
      new StompProtocolError(
        'Subscription cancelled',
        `subscription '${sub.spec.id}' cancelled: ${reason}`,
      ),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Errors and closing

  /** Report a failure with one ERROR frame and close this connection. */
  fail(err: unknown, frame?: StompFrame): void {
    const { title, detail, internal } = errorContent(err);
    if (internal) this.log.error({ err }, 'stomp internal error');
    else this.log.debug({ title, detail }, 'stomp error');
    this.sendError(title, detail, frame);
  }

  private sendError(
    title: string,
    detail: string,
    frame?: StompFrame,
    extra: HeaderList = [],
  ): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const headers: (readonly [string, string])[] = [
      ['message', title.replace(/[\r\n]+/g, ' ')],
      ...extra,
    ];
    const receipt = frame?.headers.get('receipt');
    if (receipt !== undefined) headers.push(['receipt-id', receipt]);
    headers.push(['content-type', 'text/plain']);
    this.write(encodeFrame('ERROR', headers, Buffer.from(detail, 'utf8'), this.version));
    this.state = 'closing';
    this.end();
  }

  /** Flush and close; destroy if the peer does not read within the grace period. */
  private end(): void {
    this.releaseResources();
    this.stream.end();
    this.closeTimer ??= setTimeout(() => {
      this.stream.destroy();
    }, this.options.closeGraceMs);
  }

  close(): void {
    this.stream.destroy();
    this.cleanup();
  }

  /** Graceful server stop: ERROR `connection_forced` (RabbitMQ's reason), then close; resolves
   * once closed (at most `closeGraceMs` later). */
  shutdown(): Promise<void> {
    this.fail(new StompProtocolError('connection_forced', 'the server is shutting down'));
    return this.closed;
  }

  private releaseResources(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.heartbeats.stop();
    this.transactions.clear();
    for (const sub of this.subscriptions.values()) sub.cancel();
    this.subscriptions.clear();
    if (this.vhostApi) {
      try {
        this.vhostApi.releaseConnection(this.id);
      } catch (err) {
        this.log.warn({ err }, 'releaseConnection failed');
      }
    }
  }

  private cleanup(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.publishGate.close();
    this.releaseResources();
    clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    if (!this.stream.destroyed) this.stream.destroy();
    this.ctx.metrics.connectionClosed('stomp');
    this.onClosed();
    this.resolveClosed();
  }
}
