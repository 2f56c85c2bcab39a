import { describe, expect, it } from 'vitest';
import {
  AddressError,
  parseSource,
  parseTarget,
  replyToForAmqp10,
  replyToFromAmqp10,
} from '../../../../adapters/amqp10/address.js';

describe('AMQP 1.0 target addresses (RabbitMQ 4 v2, anchors 2.11)', () => {
  it('/exchanges/<x>/<key> names exchange and routing key, percent-decoded', () => {
    expect(parseTarget('/exchanges/amq.topic/a.b')).toEqual({
      kind: 'exchange',
      exchange: 'amq.topic',
      routingKey: 'a.b',
    });
    expect(parseTarget('/exchanges/my%2Fx/k%2F1')).toEqual({
      kind: 'exchange',
      exchange: 'my/x',
      routingKey: 'k/1',
    });
  });
  it('/exchanges/<x> leaves the key to the message subject', () => {
    expect(parseTarget('/exchanges/amq.direct')).toEqual({
      kind: 'exchange',
      exchange: 'amq.direct',
      routingKey: undefined,
    });
  });
  it('/exchanges/<x>/ is the empty routing key', () => {
    expect(parseTarget('/exchanges/amq.fanout/')).toEqual({
      kind: 'exchange',
      exchange: 'amq.fanout',
      routingKey: '',
    });
  });
  it('/queues/<q> goes through the default exchange', () => {
    expect(parseTarget('/queues/a%20q')).toEqual({ kind: 'queue', queue: 'a q', declare: false });
  });
  it('v1 short forms: /topic/<key>, /queue/<q> (declared), /amq/queue/<q>, /exchange/<x>/<key>', () => {
    expect(parseTarget('/topic/a.b')).toEqual({
      kind: 'exchange',
      exchange: 'amq.topic',
      routingKey: 'a.b',
    });
    expect(parseTarget('/queue/q')).toEqual({ kind: 'queue', queue: 'q', declare: true });
    expect(parseTarget('/amq/queue/q')).toEqual({ kind: 'queue', queue: 'q', declare: false });
    expect(parseTarget('/exchange/x/k.1')).toEqual({
      kind: 'exchange',
      exchange: 'x',
      routingKey: 'k.1',
    });
    expect(parseTarget('/exchange/x')).toEqual({
      kind: 'exchange',
      exchange: 'x',
      routingKey: undefined,
    });
  });
  it.each([
    '',
    'q',
    '/queues/',
    '/queues/a/b',
    '/exchanges//k',
    '/exchanges/x/%zz',
    '/topic/',
    '/nope/x',
  ])('refuses %j', (address) => {
    expect(() => parseTarget(address)).toThrow(AddressError);
  });
});

describe('AMQP 1.0 source addresses', () => {
  it('/queues/<q> consumes the queue', () => {
    expect(parseSource('/queues/q')).toEqual({ kind: 'queue', queue: 'q', declare: false });
  });
  it('/exchanges/<x>/<binding-key> and /topic/<key> bind a private queue', () => {
    expect(parseSource('/exchanges/amq.topic/a.%2A')).toEqual({
      kind: 'exchange',
      exchange: 'amq.topic',
      bindingKey: 'a.*',
    });
    expect(parseSource('/topic/a.#')).toEqual({
      kind: 'exchange',
      exchange: 'amq.topic',
      bindingKey: 'a.#',
    });
    expect(parseSource('/exchanges/amq.fanout')).toEqual({
      kind: 'exchange',
      exchange: 'amq.fanout',
      bindingKey: '',
    });
  });
});

describe('reply-to (anchors 2.8, 2.9)', () => {
  it('/queues/<q> <-> 0-9-1 reply_to <q>', () => {
    expect(replyToFromAmqp10('/queues/rpc%2Fq')).toEqual({ replyTo: 'rpc/q' });
    expect(replyToForAmqp10('rpc/q', undefined)).toBe('/queues/rpc%2Fq');
  });
  it('/exchanges/amq.topic/<key> gives an MQTT 5 responder its Response Topic', () => {
    expect(replyToFromAmqp10('/exchanges/amq.topic/resp.a')).toEqual({
      replyTo: '/exchanges/amq.topic/resp.a',
      replyTopic: 'resp.a',
    });
    expect(replyToForAmqp10(undefined, 'resp.a')).toBe('/exchanges/amq.topic/resp.a');
  });
  it('other values pass untouched', () => {
    expect(replyToFromAmqp10('not-an-address')).toEqual({ replyTo: 'not-an-address' });
    expect(replyToForAmqp10('/exchanges/x/k', undefined)).toBe('/exchanges/x/k');
  });
});
