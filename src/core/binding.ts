import type { Arguments } from '../spi.js';

export interface Destination {
  readonly kind: 'queue' | 'exchange';
  readonly name: string;
}

export interface Binding {
  readonly source: string;
  readonly destination: Destination;
  readonly routingKey: string;
  readonly args: Arguments;
  /** Identity of the binding: same destination, key and arguments = same binding. */
  readonly id: string;
}

export function makeBinding(
  source: string,
  destination: Destination,
  routingKey: string,
  args: Arguments,
): Binding {
  const id = `${destination.kind}\u0000${destination.name}\u0000${routingKey}\u0000${stableStringify(args)}`;
  return { source, destination, routingKey, args, id };
}

/** JSON with sorted keys, so argument tables compare by value. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)) {
      const obj = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(obj)
          .sort()
          .map((k) => [k, obj[k]]),
      );
    }
    return v;
  });
}
