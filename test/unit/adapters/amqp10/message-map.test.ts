import rhea, { type Message as RheaMessage } from 'rhea';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../src/spi.js';
import type { WireMessage } from '../../../../adapters/amqp10/amqp-message.js';
import { decodeMessage } from '../../../../adapters/amqp10/message-decode.js';
import { messageFromWire } from '../../../../adapters/amqp10/message-in.js';
import { encodeMessage } from '../../../../adapters/amqp10/message-out.js';

const origin = { protocol: 'amqp10', connectionId: 'amqp10-1' } as const;

/** What we decode from what a publisher's rhea encodes. */
function fromRhea(message: Record<string, unknown>): WireMessage {
  return decodeMessage(rhea.message.encode(message));
}

/** What a consumer's rhea decodes from what we encode. */
function toRhea(m: Message, deliveryCount = 0): RheaMessage & Record<string, unknown> {
  return rhea.message.decode(encodeMessage(m, deliveryCount)) as unknown as RheaMessage &
    Record<string, unknown>;
}

/** The type code of the first properties field (message-id) in what we encode. */
function messageIdTypecode(m: Message): number | undefined {
  const bytes = encodeMessage(m, 0);
  const at = bytes.indexOf(Buffer.from([0x00, 0x53, 0x73]));
  // descriptor (3 bytes), list8 constructor + size + count (3 bytes), then message-id.
  return bytes[at + 6];
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
  const wire = {
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
    body: rhea.message.data_section(Buffer.from('hi')) as unknown,
  };
  const m = messageFromWire(fromRhea(wire), 'amq.direct', 'k', origin);

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
    const out = toRhea(m);
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
    const m = messageFromWire(fromRhea({ body: 'héllo' }), '', 'q', origin);
    expect(m.body.toString('utf8')).toBe('héllo');
    expect(toRhea(m).body).toBe('héllo');
  });
  it('several data sections are concatenated', () => {
    const m = messageFromWire(
      fromRhea({ body: rhea.message.data_sections([Buffer.from('ab'), Buffer.from('cd')]) }),
      '',
      'q',
      origin,
    );
    expect(m.body.toString()).toBe('abcd');
  });
  it('amqp-sequence / structured amqp-value: AMQP-encoded body, type amqp-1.0, restored for AMQP 1.0', () => {
    const seq = messageFromWire(
      fromRhea({ body: rhea.message.sequence_section([1, 'two']) }),
      '',
      'q',
      origin,
    );
    expect(seq.properties.type).toBe('amqp-1.0');
    expect(seq.body[0]).toBe(0x00); // a described section
    const back = toRhea(seq).body as { typecode: number; content: unknown };
    expect(back.typecode).toBe(0x76);
    expect(back.content).toEqual([1, 'two']);

    const map = messageFromWire(fromRhea({ body: { a: 1 } }), '', 'q', origin);
    expect(map.properties.type).toBe('amqp-1.0');
    expect(toRhea(map).body).toEqual({ a: 1 });
  });
});

describe('core -> AMQP 1.0', () => {
  it('0-9-1 properties map to header and properties; headers split by x- prefix', () => {
    const out = toRhea(
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
    const out = toRhea(fromOther({ headers: { 'x-reply-to-topic': 'resp.x' } }));
    expect(out.reply_to).toBe('/exchanges/amq.topic/resp.x');
    expect(
      (out.message_annotations as Record<string, unknown>)['x-reply-to-topic'],
    ).toBeUndefined();
  });
  it('bigint headers are sent as numbers when exact', () => {
    const out = toRhea(fromOther({ headers: { big: 5n, huge: 2n ** 70n } }));
    expect(out.application_properties).toEqual({ big: 5, huge: (2n ** 70n).toString() });
  });
});

describe('message-id / correlation-id keep their AMQP type (AMQP 1.0 3.2.4, anchors 2.9)', () => {
  const UUID_BYTES = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const cases = [
    ['string', 'mid-1', 'mid-1', 0xa1],
    ['ulong', 12345, '12345', 0x80],
    [
      'uuid',
      rhea.types.wrap_uuid(UUID_BYTES),
      'urn:uuid:00112233-4455-6677-8899-aabbccddeeff',
      0x98,
    ],
    ['binary', rhea.types.wrap_binary(Buffer.from([1, 2, 3])), '010203', 0xa0],
  ] as const;
  for (const [type, id, text, typecode] of cases) {
    it(`${type}: text for other protocols, the same type back for AMQP 1.0`, () => {
      const m = messageFromWire(
        fromRhea({ message_id: id, correlation_id: id, body: 'x' }),
        '',
        'q',
        origin,
      );
      expect(m.properties.messageId).toBe(text);
      expect(m.properties.correlationId).toBe(text);
      expect(messageIdTypecode(m)).toBe(typecode);
      const out = toRhea(m);
      const expected = typeof id === 'object' ? (id as { value: unknown }).value : id;
      expect(out.message_id).toEqual(expected);
      expect(out.correlation_id).toEqual(expected);
    });
  }
  it('a urn:uuid: string from another protocol becomes a uuid; other strings stay strings', () => {
    const uuid = fromOther({
      properties: { messageId: 'urn:uuid:00112233-4455-6677-8899-aabbccddeeff' },
    });
    expect(messageIdTypecode(uuid)).toBe(0x98);
    expect(toRhea(uuid).message_id).toEqual(UUID_BYTES);
    expect(messageIdTypecode(fromOther({ properties: { messageId: 'urn:uuid:nope' } }))).toBe(0xa1);
  });
  it('a urn:uuid: string published as an AMQP 1.0 string stays a string', () => {
    const m = messageFromWire(
      fromRhea({ message_id: 'urn:uuid:00112233-4455-6677-8899-aabbccddeeff', body: 'x' }),
      '',
      'q',
      origin,
    );
    expect(messageIdTypecode(m)).toBe(0xa1);
  });
});

describe('decoding sections (AMQP 1.0 3.2)', () => {
  const t = rhea.types as unknown as {
    Writer: new () => { write(v: unknown): void; toBuffer(): Buffer };
    described(d: unknown, v: unknown): unknown;
    wrap_symbol(s: string): unknown;
    wrap_ulong(n: number): unknown;
    wrap(v: unknown): unknown;
    wrap_list(l: unknown[]): unknown;
    wrap_uuid(b: Buffer): unknown;
  };
  function sections(...items: [descriptor: string | number, value: unknown][]): Buffer {
    const w = new t.Writer();
    for (const [d, v] of items)
      w.write(t.described(typeof d === 'string' ? t.wrap_symbol(d) : t.wrap_ulong(d), v));
    return w.toBuffer();
  }

  it('sections named by symbolic descriptors decode like numeric ones', () => {
    const wire = decodeMessage(
      sections(
        ['amqp:properties:list', t.wrap_list([t.wrap_uuid(Buffer.alloc(16, 1)), null, 'to-x'])],
        ['amqp:data:binary', t.wrap(Buffer.from('abc'))],
      ),
    );
    expect(wire.message_id).toEqual(['uuid', Buffer.alloc(16, 1).toString('base64')]);
    expect(wire.to).toBe('to-x');
    expect(wire.body.toString()).toBe('abc');
  });

  it('an encoded body keeps its bytes and leaves out delivery-annotations and footer', () => {
    const body = sections([0x76, t.wrap([1, 2])], [0x76, t.wrap(['x'])]);
    const bytes = Buffer.concat([
      sections([0x71, t.wrap({ ignored: 1 })]),
      body,
      sections([0x78, t.wrap({ footer: 1 })]),
    ]);
    const wire = decodeMessage(bytes);
    expect(wire.bodyKind).toBe('encoded');
    expect(wire.body).toEqual(body);
  });
});
