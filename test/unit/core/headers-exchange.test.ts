/** Headers exchange (RabbitMQ rabbit_exchange_type_headers): x-match all / any / all-with-x /
 * any-with-x, void values match on presence, typed values compare by value. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import type { Arguments, HeaderTable } from '../../../src/spi.js';
import { expectBrokerError, msg, newVhost } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
  vhost.declareExchange({ name: 'h', type: 'headers' });
  vhost.declareQueue({ name: 'q' });
});

/** Does a message with `headers` reach q, bound to h with `args`? */
function routes(args: Arguments, headers: HeaderTable): boolean {
  vhost.bindQueue('q', 'h', '', args);
  const status = vhost.publish(msg({ exchange: 'h', headers })).status;
  vhost.unbindQueue('q', 'h', '', args);
  return status === 'routed';
}

describe('headers exchange', () => {
  it('x-match all: every binding header must be present with an equal value', () => {
    const args = { 'x-match': 'all', a: 1, b: 'x' };
    expect(routes(args, { a: 1, b: 'x' })).toBe(true);
    expect(routes(args, { a: 1, b: 'x', extra: true })).toBe(true);
    expect(routes(args, { a: 1 })).toBe(false);
    expect(routes(args, { a: 1, b: 'y' })).toBe(false);
    expect(routes(args, {})).toBe(false);
  });

  it('x-match defaults to all', () => {
    const args = { a: 1, b: 'x' };
    expect(routes(args, { a: 1, b: 'x' })).toBe(true);
    expect(routes(args, { a: 1 })).toBe(false);
  });

  it('x-match any: one present header with an equal value is enough', () => {
    const args = { 'x-match': 'any', a: 1, b: 'x' };
    expect(routes(args, { a: 1 })).toBe(true);
    expect(routes(args, { b: 'x', a: 2 })).toBe(true);
    expect(routes(args, { a: 2 })).toBe(false);
    expect(routes(args, { c: 1 })).toBe(false);
    expect(routes(args, {})).toBe(false);
  });

  it('values compare by type too: the string "1" is not the number 1', () => {
    expect(routes({ a: 1 }, { a: '1' })).toBe(false);
    expect(routes({ a: true }, { a: 'true' })).toBe(false);
  });

  it('with no terms, all matches every message and any matches none (RabbitMQ)', () => {
    expect(routes({ 'x-match': 'all' }, {})).toBe(true);
    expect(routes({ 'x-match': 'all' }, { a: 1 })).toBe(true);
    expect(routes({ 'x-match': 'any' }, { a: 1 })).toBe(false);
  });

  it('RabbitMQ 3.10 headers: all/any ignore x- arguments, all-with-x/any-with-x use them', () => {
    const xArg = { 'x-tenant': 't1', a: 1 };
    expect(routes({ 'x-match': 'all', ...xArg }, { a: 1 })).toBe(true);
    expect(routes({ 'x-match': 'all-with-x', ...xArg }, { a: 1 })).toBe(false);
    expect(routes({ 'x-match': 'all-with-x', ...xArg }, { a: 1, 'x-tenant': 't1' })).toBe(true);
    expect(routes({ 'x-match': 'all-with-x', ...xArg }, { a: 1, 'x-tenant': 't2' })).toBe(false);

    expect(routes({ 'x-match': 'any', 'x-tenant': 't1' }, { 'x-tenant': 't1' })).toBe(false);
    expect(routes({ 'x-match': 'any-with-x', 'x-tenant': 't1' }, { 'x-tenant': 't1' })).toBe(true);
    expect(routes({ 'x-match': 'any-with-x', 'x-tenant': 't1', a: 1 }, { a: 1 })).toBe(true);
    expect(routes({ 'x-match': 'any-with-x', 'x-tenant': 't1' }, { 'x-tenant': 't2' })).toBe(false);
  });

  it('AMQP 0-9-1 field type void as a binding value matches on presence alone', () => {
    expect(routes({ a: null }, { a: 'anything' })).toBe(true);
    expect(routes({ a: null }, { a: 0 })).toBe(true);
    expect(routes({ a: null }, { a: null })).toBe(true);
    expect(routes({ a: null }, { b: 1 })).toBe(false);
    expect(routes({ 'x-match': 'any', a: null, b: 2 }, { a: false })).toBe(true);
    expect(routes({ 'x-match': 'any', a: null, b: 2 }, { c: 1 })).toBe(false);
  });

  it('typed values ({"!": type, value}) compare by value: signedint 5 equals 5', () => {
    const typed5 = { '!': 'signedint', value: 5 };
    expect(routes({ n: typed5 }, { n: 5 })).toBe(true);
    expect(routes({ n: 5 }, { n: typed5 })).toBe(true);
    expect(routes({ n: typed5 }, { n: { '!': 'long', value: 5 } })).toBe(true);
    expect(routes({ n: typed5 }, { n: 6 })).toBe(false);
    expect(routes({ n: typed5 }, { n: '5' })).toBe(false);
  });

  it('integers compare by value whatever their AMQP width: a long-long (bigint) 5 equals an int 5', () => {
    expect(routes({ n: 5n }, { n: 5 })).toBe(true);
    expect(routes({ n: 5 }, { n: { '!': 'long', value: 5n } })).toBe(true);
    expect(routes({ n: 2n ** 60n }, { n: 2n ** 60n })).toBe(true);
    expect(routes({ n: 2n ** 60n + 1n }, { n: 2n ** 60n })).toBe(false);
    expect(routes({ n: 5n }, { n: '5' })).toBe(false);
  });

  it('table values compare by content, whatever the key order', () => {
    expect(routes({ t: { a: 1, b: 2 } }, { t: { b: 2, a: 1 } })).toBe(true);
    expect(routes({ t: { a: 1, b: 2 } }, { t: { a: 1 } })).toBe(false);
  });

  it.each([['some'], [42], [true]])(
    'RabbitMQ headers: an invalid x-match value (%j) -> PRECONDITION_FAILED at bind',
    (value) => {
      expectBrokerError(() => {
        vhost.bindQueue('q', 'h', '', { 'x-match': value });
      }, 'GW_ERR_PRECONDITION_FAILED');
      // Nothing was bound.
      expect(vhost.publish(msg({ exchange: 'h' })).status).toBe('unroutable');
    },
  );

  it('the routing key plays no part', () => {
    vhost.bindQueue('q', 'h', 'some-key', { a: 1 });
    expect(
      vhost.publish(msg({ exchange: 'h', routingKey: 'other', headers: { a: 1 } })).status,
    ).toBe('routed');
  });

  it('amq.headers and amq.match are predeclared headers exchanges', () => {
    vhost.bindQueue('q', 'amq.headers', '', { a: 1 });
    vhost.bindQueue('q', 'amq.match', '', { b: 1 });
    expect(vhost.publish(msg({ exchange: 'amq.headers', headers: { a: 1 } })).status).toBe(
      'routed',
    );
    expect(vhost.publish(msg({ exchange: 'amq.headers', headers: { b: 1 } })).status).toBe(
      'unroutable',
    );
    expect(vhost.publish(msg({ exchange: 'amq.match', headers: { b: 1 } })).status).toBe('routed');
  });

  it('several bindings: each queue gets the message once', () => {
    vhost.declareQueue({ name: 'q2' });
    vhost.bindQueue('q', 'h', '', { a: 1 });
    vhost.bindQueue('q', 'h', '', { 'x-match': 'any', b: 1, a: 1 });
    vhost.bindQueue('q2', 'h', '', { b: 1 });
    const r = vhost.publish(msg({ exchange: 'h', headers: { a: 1, b: 1 } }));
    expect(r).toEqual({ status: 'routed', queues: 2 });
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
  });
});
