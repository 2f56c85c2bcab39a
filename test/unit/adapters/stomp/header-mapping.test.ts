import { describe, expect, it } from 'vitest';
import {
  HeaderMappingError,
  messageHeaders,
  propertiesFromSend,
} from '../../../../adapters/stomp/header-mapping.js';
import type { Message } from '../../../../src/spi.js';

const send = (h: Record<string, string>) => new Map(Object.entries(h));

describe('STOMP SEND headers -> core message (anchors 2.6)', () => {
  it('keeps frame, server and queue headers out of the headers table', () => {
    const { headers } = propertiesFromSend(
      send({
        destination: '/queue/q',
        receipt: 'r',
        transaction: 't',
        'content-length': '1',
        'message-id': 'forbidden',
        'x-max-length': '5',
        durable: 'true',
        custom: 'kept',
      }),
      undefined,
      'guest',
    );
    expect(headers).toEqual({ custom: 'kept' });
  });

  it.each([
    [{ priority: '256' }],
    [{ priority: '-1' }],
    [{ timestamp: 'now' }],
    [{ expiration: '1.5' }],
    [{ 'user-id': 'someone-else' }],
  ])('rejects %j', (h) => {
    expect(() => propertiesFromSend(send(h), undefined, 'guest')).toThrow(HeaderMappingError);
  });
});

describe('core message -> MESSAGE headers (anchors 2.6)', () => {
  const message = (over: Partial<Message>): Message => ({
    exchange: '',
    routingKey: 'q',
    headers: {},
    properties: {},
    body: Buffer.alloc(0),
    origin: { protocol: 'amqp091', connectionId: 'c' },
    ...over,
  });

  it('emits strings and integers (typed ones too) and drops other header values', () => {
    const out = messageHeaders(
      message({
        headers: {
          s: 'x',
          i: 5,
          l: 9007199254740993n,
          t: { '!': 'signedint', value: 7 },
          f: 1.5,
          b: true,
          n: null,
          a: ['x'],
          tbl: { k: 'v' },
        },
      }),
      new Set(),
    );
    expect(Object.fromEntries(out)).toEqual({ s: 'x', i: '5', l: '9007199254740993', t: '7' });
  });

  it('never lets a message header shadow a server or property header', () => {
    const out = messageHeaders(
      message({
        headers: { subscription: 'evil', 'content-type': 'evil', 'content-length': '9', ok: 'y' },
        properties: { contentType: 'text/plain' },
      }),
      new Set(['subscription']),
    );
    expect(out).toEqual([
      ['content-type', 'text/plain'],
      ['ok', 'y'],
    ]);
  });

  it('writes persistent:true only for persistent messages', () => {
    expect(messageHeaders(message({ properties: { persistent: false } }), new Set())).toEqual([]);
    expect(messageHeaders(message({ properties: { persistent: true } }), new Set())).toEqual([
      ['persistent', 'true'],
    ]);
  });
});
