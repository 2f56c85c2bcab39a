import { describe, expect, it } from 'vitest';
import {
  DestinationError,
  messageDestination,
  parseDestination,
} from '../../../../adapters/stomp/destination.js';

describe('STOMP destinations (RabbitMQ rabbit_routing_parser, anchors 2.4)', () => {
  it.each([
    ['/topic/a.b.*', { kind: 'topic', key: 'a.b.*' }],
    ['/queue/orders', { kind: 'queue', queue: 'orders' }],
    ['/amq/queue/q1', { kind: 'amq-queue', queue: 'q1' }],
    ['/exchange/logs/error.db', { kind: 'exchange', exchange: 'logs', key: 'error.db' }],
    ['/exchange/logs', { kind: 'exchange', exchange: 'logs', key: '' }],
    ['/temp-queue/r1', { kind: 'temp-queue', name: 'r1' }],
    ['/reply-queue/amq.gen-x/y', { kind: 'reply-queue', queue: 'amq.gen-x/y' }],
    ['/queue/a%2Fb', { kind: 'queue', queue: 'a/b' }],
    ['plain', { kind: 'queue', queue: 'plain' }],
  ])('parses %s', (dest, expected) => {
    expect(parseDestination(dest)).toEqual(expected);
  });

  it.each([
    '/topic/',
    '/topic/a/b',
    '/queue/',
    '/exchange/',
    '/exchange/x/k/extra',
    '/other/x',
    '/queue/%zz',
  ])('rejects %s', (dest) => {
    expect(() => parseDestination(dest)).toThrow(DestinationError);
  });

  it.each([
    ['', 'q', '/queue/q'],
    ['amq.topic', 'a.b', '/topic/a.b'],
    ['amq.direct', 'k', '/exchange/amq.direct/k'],
    ['x/y', 'a/b%\u00e9', '/exchange/x%2Fy/a%2Fb%25%C3%A9'],
  ])('derives the MESSAGE destination of (%j, %j)', (exchange, key, expected) => {
    expect(messageDestination(exchange, key)).toBe(expected);
    const parsed = parseDestination(expected);
    expect(parsed).toMatchObject(
      exchange === '' ? { queue: key } : exchange === 'amq.topic' ? { key } : { exchange, key },
    );
  });
});
