/**
 * MQTT PUBLISH <-> core Message. MQTT 3.1.1 has no properties, so the mapping is small
 * (docs/mqtt.md has the table):
 * - QoS >= 1 -> `persistent` (delivery-mode 2); QoS is also kept in the header
 *   `x-mqtt-publish-qos`, as RabbitMQ does, so AMQP consumers can see it.
 * - retain and dup are not forwarded: retained state lives in the MQTT retained store.
 * From the core, QoS is the publisher's MQTT QoS when there was one, else 1 for persistent
 * messages and 0 otherwise.
 */
import type { HeaderTable, Message, MessageOrigin } from '../../src/spi.js';
import { topicToRoutingKey } from './topic-map.js';

export const QOS_HEADER = 'x-mqtt-publish-qos';

export type Qos = 0 | 1 | 2;

/** Kept in `Message.native` for MQTT consumers of MQTT-published messages. */
export interface MqttNative {
  readonly mqtt: true;
  /** The aedes broker id and counter the packet had; aedes keys offline copies by them. */
  readonly brokerId: string;
  readonly brokerCounter: number;
}

export interface PublishLike {
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly qos: Qos;
  readonly brokerId: string;
  readonly brokerCounter: number;
}

export function toCoreMessage(
  packet: PublishLike,
  exchange: string,
  origin: MessageOrigin,
): Message {
  const native: MqttNative = {
    mqtt: true,
    brokerId: packet.brokerId,
    brokerCounter: packet.brokerCounter,
  };
  const headers: HeaderTable = { [QOS_HEADER]: packet.qos };
  return {
    exchange,
    routingKey: topicToRoutingKey(packet.topic),
    headers,
    properties: { persistent: packet.qos > 0 },
    body: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
    origin,
    native,
  };
}

export function mqttNativeOf(message: Message): MqttNative | undefined {
  const n = message.native as Partial<MqttNative> | undefined;
  return n?.mqtt === true ? (n as MqttNative) : undefined;
}

export function deliveryQos(message: Message): Qos {
  const q = message.headers[QOS_HEADER];
  if (q === 0 || q === 1 || q === 2) return q;
  return message.properties.persistent ? 1 : 0;
}
