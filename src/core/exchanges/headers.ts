import { BrokerError } from '../errors.js';
import type { Arguments, HeaderTable, HeaderValue, Message } from '../../spi.js';
import { stableStringify, type Binding } from '../binding.js';
import type { BindingMatcher, ExchangeType } from './exchange-type.js';

type XMatch = 'all' | 'any' | 'all-with-x' | 'any-with-x';
const X_MATCH_VALUES: readonly string[] = ['all', 'any', 'all-with-x', 'any-with-x'];

interface Compiled {
  readonly binding: Binding;
  readonly any: boolean;
  /** [header name, expected value as a comparable string, or undefined = presence only] */
  readonly terms: readonly (readonly [string, string | undefined])[];
}

/** A field value compared by value; typed AMQP values compare by their value, and integers
 * whatever their width: a long-long decodes to a bigint, a signed int to a number, and
 * RabbitMQ compares both as Erlang integers (`==`). */
function comparable(v: HeaderValue): string {
  const value: unknown =
    v !== null && typeof v === 'object' && '!' in v && !Array.isArray(v) && !Buffer.isBuffer(v)
      ? (v as { value: unknown }).value
      : v;
  if (typeof value === 'bigint' && Number.isSafeInteger(Number(value))) {
    return stableStringify(Number(value));
  }
  return stableStringify(value);
}

function xMatchOf(args: Arguments): XMatch {
  const raw = args['x-match'];
  const text = typeof raw === 'string' ? raw : raw === undefined ? 'all' : undefined;
  if (text === undefined || !X_MATCH_VALUES.includes(text)) {
    throw new BrokerError(
      'GW_ERR_PRECONDITION_FAILED',
      `invalid x-match value ${stableStringify(raw)}`,
    );
  }
  return text as XMatch;
}

function compile(b: Binding): Compiled {
  const mode = xMatchOf(b.args);
  const withX = mode.endsWith('-with-x');
  const terms: [string, string | undefined][] = [];
  for (const [k, v] of Object.entries(b.args)) {
    if (k === 'x-match') continue;
    if (!withX && k.startsWith('x-')) continue;
    // A void (null) argument matches on the header's presence alone.
    terms.push([k, v === null ? undefined : comparable(v)]);
  }
  return { binding: b, any: mode.startsWith('any'), terms };
}

function matches(c: Compiled, headers: HeaderTable): boolean {
  if (c.any) {
    for (const [k, want] of c.terms) {
      const have = headers[k];
      if (have !== undefined && (want === undefined || comparable(have) === want)) return true;
    }
    return false;
  }
  for (const [k, want] of c.terms) {
    const have = headers[k];
    if (have === undefined || (want !== undefined && comparable(have) !== want)) return false;
  }
  return true;
}

/** Headers matching is inherently a scan of the exchange's bindings (as in RabbitMQ). */
class HeadersMatcher implements BindingMatcher {
  readonly #bindings = new Map<string, Compiled>();

  add(b: Binding): void {
    this.#bindings.set(b.id, compile(b));
  }
  remove(b: Binding): void {
    this.#bindings.delete(b.id);
  }
  *match(msg: Message): Iterable<Binding> {
    for (const c of this.#bindings.values()) if (matches(c, msg.headers)) yield c.binding;
  }
}

/** Routes on message headers; `x-match` = all | any | all-with-x | any-with-x. */
export const headersExchange: ExchangeType = {
  name: 'headers',
  validateBinding(_key, args) {
    xMatchOf(args);
  },
  createMatcher: () => new HeadersMatcher(),
};
