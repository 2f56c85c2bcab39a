/**
 * How a shared-subscription message reaches the member the core picked, and when it may leave
 * the group's queue (`settle`):
 * - QoS 0: once written;
 * - clean session: on PUBACK / PUBCOMP, so what the member has not acknowledged when it
 *   disconnects goes back to the group (the consumer's cancel requeues it);
 * - session that outlives the connection: once it is in the session's stored queue, which then
 *   owns it (aedes resends it on reconnect).
 */
import type { Logger } from '../../src/spi.js';
import type { ClientInternals } from './aedes-internals.js';
import type { Dispatcher } from './dispatcher.js';
import type { Qos } from './message-map.js';
import type { SessionStore } from './session-store.js';
import type { SharedOptions } from './shared-subscriptions.js';

export function sharedDelivery(
  dispatcher: Dispatcher,
  store: SessionStore,
  brokerId: string,
  log: Logger,
): SharedOptions['deliver'] {
  let counter = 0;
  return (
    client: ClientInternals,
    topic: string,
    payload: Buffer,
    qos: Qos,
    settle: () => void,
  ) => {
    const packet = {
      cmd: 'publish',
      topic,
      payload,
      retain: false,
      dup: false,
      brokerId,
      brokerCounter: ++counter,
    } as const;
    if (qos === 0) {
      dispatcher.deliver(client, packet, qos, settle);
      return;
    }
    if (client.clean) {
      dispatcher.deliver(client, packet, qos, undefined, settle);
      return;
    }
    store.outgoingEnqueue({ clientId: client.id }, { ...packet, qos }).then(
      () => {
        dispatcher.deliver(client, packet, qos, settle);
      },
      (err: unknown) => {
        log.error({ err }, 'could not store a shared-subscription message');
      },
    );
  };
}
