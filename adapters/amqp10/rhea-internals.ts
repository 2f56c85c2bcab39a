/**
 * The few rhea 3.0 members we use that its typings leave out. Each is stable public-by-use API
 * of rhea's server side (container.js `listen` calls `accept`; link credit and delivery counts
 * are what `sendable()` reads). Kept in this one file so a rhea upgrade is checked in one place.
 */
import rhea from 'rhea';
import type { Connection, Container, Delivery, Receiver, Sender, Session } from 'rhea';

/** What rhea needs from a socket (container.js `listen` hands it a net.Socket). */
export interface RheaSocket {
  on(event: 'data' | 'error' | 'end', listener: (...args: unknown[]) => void): unknown;
  write(buf: Buffer): unknown;
  end(): void;
  destroy(): void;
}

interface ServerConnection extends Connection {
  /** Server side of container.js `listen`: adopt an accepted socket. */
  accept(socket: RheaSocket): Connection;
}

/** `new Connection(options, container).accept(socket)`, as container.js `listen` does. */
export function acceptConnection(connection: Connection, socket: RheaSocket): void {
  (connection as ServerConnection).accept(socket);
}

interface SenderState {
  /** Credit left after what was transmitted. */
  credit: number;
  /** Deliveries transmitted so far (AMQP 1.0 2.6.7 delivery-count). */
  delivery_count: number;
}

/** Credit the client granted that is not yet used by deliveries we handed to rhea
 * (`sent` counts every `send()`; rhea counts only what it has put on the wire). */
export function unusedCredit(sender: Sender, sent: number): number {
  const s = sender as unknown as SenderState;
  return Math.max(0, s.credit - (sent - s.delivery_count));
}

interface SessionState {
  readonly outgoing: { available(): number };
  readonly remote: { readonly channel?: number };
}

/** Free slots in the session's outgoing (unsettled) delivery buffer: rhea throws when it is full. */
export function outgoingRoom(session: Session): number {
  return (session as unknown as SessionState).outgoing.available();
}

/** The handle-max our `begin` announces (AMQP 1.0 2.7.2): rhea writes the begin after the
 * `session_open` handlers ran, with its own default (2^32 - 1) unless told otherwise. */
export function announceHandleMax(session: Session, handleMax: number): void {
  (session as unknown as { local: { begin: { handle_max: number } } }).local.begin.handle_max =
    handleMax;
}

/** The channel the client began this session on (frames name sessions by it). */
export function remoteChannel(session: Session): number | undefined {
  return (session as unknown as SessionState).remote.channel;
}

/** A value as rhea's Reader returns it, before `unwrap`. */
export interface TypedValue {
  readonly type?: { readonly typecode: number };
  readonly descriptor?: { readonly value: unknown };
  readonly value: unknown;
}
interface Reader {
  read(): TypedValue;
  remaining(): number;
  readonly position: number;
}
interface TypesCodec {
  Reader: new (buf: Buffer) => Reader;
  unwrap(typed: unknown, leaveDescribed?: boolean): unknown;
  unwrap_map_simple(typed: TypedValue): Record<string, unknown>;
}

/** rhea's AMQP type codec (lib/types.js). */
export const codec = rhea.types as unknown as TypesCodec;

/** rhea decodes every incoming message (session.js `on_transfer` calls `message.decode`) and
 * has no option to hand over the payload instead. Our links decode it themselves
 * (message-decode.ts keeps id types rhea loses, and skips work rhea's decoder does), so while a
 * frame of one of our server connections is being processed `message.decode` returns the bytes
 * unchanged. Frames are processed synchronously, so no other connection's decode (such as an
 * in-process rhea client's) can run inside that window. */
const rheaMessage = rhea.message as unknown as { decode(bytes: Buffer): unknown };
const rheaDecode = rheaMessage.decode.bind(rheaMessage);
let undecoded = 0;
rheaMessage.decode = (bytes: Buffer): unknown => (undecoded > 0 ? bytes : rheaDecode(bytes));

/** Run `fn` (rhea reading one frame) with messages left as their bytes (`ctx.message`). */
export function withUndecodedMessages(fn: () => void): void {
  undecoded++;
  try {
    fn();
  } finally {
    undecoded--;
  }
}

/** Send the bytes of an encoded message (message format 0, AMQP 1.0 2.7.5). */
export function sendEncoded(sender: Sender, bytes: Buffer): Delivery {
  return sender.send(bytes, undefined, 0);
}

interface LocalAttach {
  local: { attach: { snd_settle_mode: number; max_message_size: number } };
}

/** Our attach echoes the client's snd-settle-mode (AMQP 1.0 2.7.3); rhea reads only its
 * link options for it, which a peer-initiated link does not have. */
export function markPresettled(sender: Sender, mode: number): void {
  (sender as unknown as LocalAttach).local.attach.snd_settle_mode = mode;
}

/** The max-message-size our attach announces for a link (AMQP 1.0 2.7.3). */
export function announceMaxMessageSize(receiver: Receiver, bytes: number): void {
  (receiver as unknown as LocalAttach).local.attach.max_message_size = bytes;
}

interface LinkState {
  credit: number;
}

/** Credit we have granted on a receiving link that the client has not used yet. */
export function grantedCredit(receiver: Receiver): number {
  return (receiver as unknown as LinkState).credit;
}

/** Install SASL server mechanisms on a container (rhea keeps them in `sasl_server_mechanisms`,
 * a name -> factory map its SASL layer reads when a connection is accepted). */
export function setSaslMechanisms(
  container: Container,
  mechanisms: Record<string, () => unknown>,
): void {
  Object.assign(
    (container as unknown as { sasl_server_mechanisms: object }).sasl_server_mechanisms,
    mechanisms,
  );
}

interface RheaLink {
  readonly name: string;
  readonly local: { readonly handle: number };
  readonly remote: { readonly handle: number; attach?: unknown };
  is_sender(): boolean;
  on_attach(frame: AttachFrame): void;
}
interface AttachFrame {
  readonly performative: { readonly name: string; readonly role: boolean; readonly handle: number };
}
interface RheaSession {
  links: Record<string, RheaLink>;
  readonly local: { readonly handles: Record<number, RheaLink | undefined> };
  readonly remote: { readonly handles: Record<number, RheaLink | undefined> };
  create_sender(name: string): RheaLink;
  create_receiver(name: string): RheaLink;
  on_attach(frame: AttachFrame): void;
  remove_link(link: RheaLink): void;
}

/** Where a link that shares its name with one of the other role is kept in `session.links`. */
const PAIRED_SUFFIX = '\u0000paired';

/**
 * rhea keys a session's links by name alone, so a second attach with the same name is taken
 * for the first link. AMQP 1.0 2.6.1 identifies a link by its name and direction, and
 * RabbitMQ's management link pair is exactly a sender and a receiver sharing one name: this
 * session keeps the second one under its own key (session.js `on_attach`, `remove_link`).
 */
export function allowPairedLinkNames(session: Session): void {
  const s = session as unknown as RheaSession;
  s.on_attach = function (this: RheaSession, frame: AttachFrame): void {
    const { name, role } = frame.performative;
    // role true: the peer is the receiver, so our end is a sender.
    const weSend = role;
    const first = this.links[name];
    let link = first && first.is_sender() === weSend ? first : this.links[name + PAIRED_SUFFIX];
    if (!link) {
      link = weSend ? this.create_sender(name) : this.create_receiver(name);
      if (first) {
        this.links[name] = first;
        this.links[name + PAIRED_SUFFIX] = link;
      }
    }
    this.remote.handles[frame.performative.handle] = link;
    link.on_attach(frame);
    link.remote.attach = frame.performative;
  };
  s.remove_link = function (this: RheaSession, link: RheaLink): void {
    Reflect.deleteProperty(this.remote.handles, link.remote.handle);
    Reflect.deleteProperty(this.local.handles, link.local.handle);
    for (const key of [link.name, link.name + PAIRED_SUFFIX])
      if (this.links[key] === link) Reflect.deleteProperty(this.links, key);
  };
}
