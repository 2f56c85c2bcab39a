import rhea, { type EventContext, type Receiver, type Sender } from 'rhea';
import type { TypedId } from './amqp-message.js';
import type { LinkHost } from './link-host.js';
import { decodeMessage } from './message-decode.js';
import { handleManagementRequest, MANAGEMENT_ADDRESS } from './management-node.js';
import { codec, markPresettled } from './rhea-internals.js';

const SND_SETTLED = 1;

/** One end of a management link pair, closed with its link. */
export interface ManagementEndpoint {
  close(): void;
}

/** Whether an attach is for the management node (the client's sender targets it, or its
 * receiver has it as source). */
export function isManagementAttach(endpoint: Sender | Receiver): boolean {
  const terminus = endpoint.is_sender() ? endpoint.source : endpoint.target;
  return (terminus as { address?: unknown } | undefined)?.address === MANAGEMENT_ADDRESS;
}

/**
 * RabbitMQ 4's management link pair on one connection: the client attaches a sender and a
 * receiver with the same link name to `/management`; each request on the sender is answered on
 * the receiver of that name, `correlation-id` = the request's `message-id`, `subject` = the
 * HTTP status.
 */
export class ManagementNode {
  readonly #host: LinkHost;
  readonly #replies = new Map<string, Sender>();

  constructor(host: LinkHost) {
    this.#host = host;
  }

  open(endpoint: Sender | Receiver): ManagementEndpoint {
    if (endpoint.is_sender()) {
      const sender = endpoint as Sender;
      sender.set_source({ address: MANAGEMENT_ADDRESS });
      // RabbitMQ's clients ask for pre-settled responses; our attach echoes it (2.7.3).
      if (sender.snd_settle_mode === SND_SETTLED) markPresettled(sender, SND_SETTLED);
      this.#replies.set(sender.name, sender);
      return {
        close: () => {
          if (this.#replies.get(sender.name) === sender) this.#replies.delete(sender.name);
        },
      };
    }
    const receiver = endpoint as Receiver;
    receiver.set_target({ address: MANAGEMENT_ADDRESS });
    receiver.on('message', (ctx: EventContext) => {
      this.#onRequest(receiver, ctx);
    });
    receiver.add_credit(this.#host.options.linkCredit);
    return { close: () => undefined };
  }

  #onRequest(receiver: Receiver, ctx: EventContext): void {
    const delivery = ctx.delivery;
    const bytes = ctx.message as unknown;
    if (!delivery || !Buffer.isBuffer(bytes)) return;
    const replies = this.#replies.get(receiver.name);
    if (delivery.remote_settled) delivery.update(true);
    else if (replies) delivery.accept();
    else
      delivery.reject({
        condition: 'amqp:precondition-failed',
        description: `no receiving link named '${receiver.name}' on ${MANAGEMENT_ADDRESS}`,
      });
    receiver.add_credit(1);
    if (!replies) return;
    const request = decodeMessage(bytes);
    const body =
      request.bodyKind === 'encoded'
        ? codec.unwrap(new codec.Reader(request.body).read())
        : request.bodyKind === 'value-string'
          ? request.body.toString('utf8')
          : undefined;
    const response = handleManagementRequest(
      this.#host,
      request.subject ?? '',
      request.to ?? '',
      body,
    );
    replies.send({
      correlation_id: correlationFor(request.message_id),
      subject: String(response.status),
      body: response.body,
    } as never);
  }
}

/** The request's message-id, typed as it came, for rhea to encode as the correlation-id. */
function correlationFor(id: string | TypedId | undefined): unknown {
  if (id === undefined || typeof id === 'string') return id;
  if (id[0] === 'ulong') return id[1];
  const bytes = Buffer.from(id[1], 'base64');
  // rhea encodes a bare Buffer id as a uuid.
  return id[0] === 'uuid' ? bytes : rhea.types.wrap_binary(bytes);
}
