import rhea from 'rhea';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../src/spi.js';
import type { WireMessage } from '../../../../adapters/amqp10/amqp-message.js';
import { messageFromWire } from '../../../../adapters/amqp10/message-in.js';
import { messageToWire } from '../../../../adapters/amqp10/message-out.js';

const origin = { protocol: 'amqp10', connectionId: 'amqp10-1' } as const;

/** What a consumer's rhea decodes from what we encode. */
function roundTrip(wire: WireMessage): WireMessage {
  return rhea.message.decode(rhea.message.encode(wire)) as WireMessage;
}

function fromOther(partial: Partial<Message>): Message {
  return {
    exchange: 'amq.topic',
    routingKey: 'a.b',
    headers: {},
    properties: {},
    body: Buffer.from('payload'),
    origin: { protocol: 'amqp091', connectionId: 'amqp091-1' },
    ...partial,
  };
}

describe('AMQP 1.0 -> core (anchors 2.9)', () => {
  const wire: WireMessage = {
    durable: true,
    priority: 7,
    ttl: 5000,
    message_id: 'mid',
    user_id: Buffer.from('guest'),
    to: '/queues/q',
    subject: 'subj',
    reply_to: '/queues/replies',
    correlation_id: 'cid',
    content_type: 'text/plain',
    content_encoding: 'gzip',
    creation_time: 1_700_000_000_123,
    group_id: 'app',
    application_properties: { color: 'red', n: 3 },
    message_annotations: { 'x-opt-custom': 'v', 'x-basic-type': 'order', 'not-x': 1 },
    body: rhea.message.data_section(Buffer.from('hi')),
  };
  const m = messageFromWire(roundTrip(wire), 'amq.direct', 'k', origin);

  it('header: durable -> persistent, priority, ttl -> expiration (ms string)', () => {
    expect(m.properties).toMatchObject({ persistent: true, priority: 7, expiration: '5000' });
  });
  it('properties: ids, user-id, reply-to /queues/q -> q, content type/encoding, creation-time s, group-id -> app_id', () => {
    expect(m.properties).toMatchObject({
      messageId: 'mid',
      correlationId: 'cid',
      userId: 'guest',
      replyTo: 'replies',
      contentType: 'text/plain',
      contentEncoding: 'gzip',
      timestamp: 1_700_000_000,
      appId: 'app',
      type: 'order',
    });
  });
  it('application-properties and x- annotations become headers; x-basic-type is the type; non-x annotations dropped', () => {
    expect(m.headers).toEqual({ color: 'red', n: 3, 'x-opt-custom': 'v' });
  });
  it('one data section is the body', () => {
    expect(m.body.toString()).toBe('hi');
  });
  it('to, subject (no core slot) survive for AMQP 1.0 consumers', () => {
    const out = roundTrip(messageToWire(m, 0));
    expect(out.to).toBe('/queues/q');
    expect(out.subject).toBe('subj');
    expect(out.reply_to).toBe('/queues/replies');
    expect(out.application_properties).toEqual({ color: 'red', n: 3 });
    expect(out.message_annotations).toMatchObject({ 'x-opt-custom': 'v', 'x-basic-type': 'order' });
    // The core keeps seconds; the milliseconds ride in Message.native for AMQP 1.0 consumers.
    expect(out.creation_time).toEqual(new Date(1_700_000_000_123));
  });
});

describe('AMQP 1.0 bodies (anchors 2.8, 2.9)', () => {
  it('amqp-value string: UTF-8 bytes for others, the string again for AMQP 1.0', () => {
    const m = messageFromWire(roundTrip({ body: 'héllo' }), '', 'q', origin);
    expect(m.body.toString('utf8')).toBe('héllo');
    expect(roundTrip(messageToWire(m, 0)).body).toBe('héllo');
  });
  it('several data sections are concatenated', () => {
    const m = messageFromWire(
      roundTrip({ body: rhea.message.data_sections([Buffer.from('ab'), Buffer.from('cd')]) }),
      '',
      'q',
      origin,
    );
    expect(m.body.toString()).toBe('abcd');
  });
  it('amqp-sequence / structured amqp-value: AMQP-encoded body, type amqp-1.0, restored for AMQP 1.0', () => {
    const seq = messageFromWire(
      roundTrip({ body: rhea.message.sequence_section([1, 'two']) }),
      '',
      'q',
      origin,
    );
    expect(seq.properties.type).toBe('amqp-1.0');
    expect(seq.body[0]).toBe(0x00); // a described section
    const back = roundTrip(messageToWire(seq, 0)).body as { typecode: number; content: unknown };
    expect(back.typecode).toBe(0x76);
    expect(back.content).toEqual([1, 'two']);

    const map = messageFromWire(roundTrip({ body: { a: 1 } }), '', 'q', origin);
    expect(map.properties.type).toBe('amqp-1.0');
    expect(roundTrip(messageToWire(map, 0)).body).toEqual({ a: 1 });
  });
});

describe('core -> AMQP 1.0', () => {
  it('0-9-1 properties map to header and properties; headers split by x- prefix', () => {
    const out = roundTrip(
      messageToWire(
        fromOther({
          headers: {
            plain: 'v',
            'x-custom': 5,
            nested: { a: 1 },
            typed: { '!': 'int8', value: 3 },
          },
          properties: {
            persistent: true,
            priority: 2,
            expiration: '1000',
            messageId: 'm',
            correlationId: 'c',
            replyTo: 'rq',
            contentType: 'application/json',
            timestamp: 10,
            type: 't',
            userId: 'u',
            appId: 'a',
          },
        }),
        2,
      ),
    );
    expect(out).toMatchObject({
      durable: true,
      priority: 2,
      ttl: 1000,
      delivery_count: 2,
      message_id: 'm',
      correlation_id: 'c',
      reply_to: '/queues/rq',
      content_type: 'application/json',
      group_id: 'a',
    });
    expect(out.user_id?.toString()).toBe('u');
    expect(out.creation_time).toEqual(new Date(10_000));
    // AMQP 1.0 3.2.5: application-properties hold simple values only; tables are dropped there.
    expect(out.application_properties).toEqual({ plain: 'v', typed: 3 });
    expect(out.message_annotations).toEqual({
      'x-custom': 5,
      'x-basic-type': 't',
      'x-exchange': 'amq.topic',
      'x-routing-key': 'a.b',
    });
    expect((out.body as { typecode: number; content: Buffer }).content.toString()).toBe('payload');
  });
  it('an MQTT Response Topic (x-reply-to-topic) becomes reply-to /exchanges/amq.topic/<key>', () => {
    const out = roundTrip(
      messageToWire(fromOther({ headers: { 'x-reply-to-topic': 'resp.x' } }), 0),
    );
    expect(out.reply_to).toBe('/exchanges/amq.topic/resp.x');
    expect(out.message_annotations?.['x-reply-to-topic']).toBeUndefined();
  });
  it('bigint headers are sent as numbers when exact', () => {
    const out = roundTrip(messageToWire(fromOther({ headers: { big: 5n, huge: 2n ** 70n } }), 0));
    expect(out.application_properties).toEqual({ big: 5, huge: (2n ** 70n).toString() });
  });
});
