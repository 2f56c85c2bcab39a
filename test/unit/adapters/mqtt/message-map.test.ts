import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../src/spi.js';
import {
  QOS_HEADER,
  deliveryQos,
  mqttNativeOf,
  toCoreMessage,
} from '../../../../adapters/mqtt/message-map.js';

const origin = { protocol: 'mqtt', connectionId: 'mqtt-1', clientId: 'c1' } as const;

describe('MQTT PUBLISH -> core message', () => {
  it('maps topic, payload, QoS -> persistent and the x-mqtt-publish-qos header', () => {
    const m = toCoreMessage(
      { topic: 'a/b.c', payload: Buffer.from('p'), qos: 2, brokerId: 'b', brokerCounter: 7 },
      'amq.topic',
      origin,
    );
    expect(m).toMatchObject({
      exchange: 'amq.topic',
      routingKey: 'a.b%2Ec',
      headers: { [QOS_HEADER]: 2 },
      properties: { persistent: true },
      origin,
    });
    expect(m.body.toString()).toBe('p');
    expect(mqttNativeOf(m)).toEqual({ mqtt: true, brokerId: 'b', brokerCounter: 7 });
  });

  it('QoS 0 is not persistent; string payloads become bytes', () => {
    const m = toCoreMessage(
      { topic: 't', payload: 'text', qos: 0, brokerId: 'b', brokerCounter: 1 },
      'x',
      origin,
    );
    expect(m.properties.persistent).toBe(false);
    expect(Buffer.isBuffer(m.body)).toBe(true);
  });
});

describe('core message -> MQTT QoS', () => {
  const base: Message = {
    exchange: 'amq.topic',
    routingKey: 'a',
    headers: {},
    properties: {},
    body: Buffer.alloc(0),
    origin: { protocol: 'amqp091', connectionId: 'amqp-1' },
  };

  it('uses x-mqtt-publish-qos when present, else persistent -> 1, else 0 (RabbitMQ)', () => {
    expect(deliveryQos({ ...base, headers: { [QOS_HEADER]: 2 } })).toBe(2);
    expect(deliveryQos({ ...base, properties: { persistent: true } })).toBe(1);
    expect(deliveryQos(base)).toBe(0);
    expect(deliveryQos({ ...base, headers: { [QOS_HEADER]: 'high' } })).toBe(0);
    expect(mqttNativeOf(base)).toBeUndefined();
  });
});
