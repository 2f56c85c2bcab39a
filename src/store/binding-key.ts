import { stableStringify } from '../core/binding.js';
import type { StoredBinding } from '../spi.js';

/** Identity of a stored binding: all its fields, arguments compared by value. */
export function bindingKey(b: StoredBinding): string {
  return [
    b.vhost,
    b.source,
    b.destinationKind,
    b.destination,
    b.routingKey,
    stableStringify(b.arguments),
  ].join('\u0000');
}
