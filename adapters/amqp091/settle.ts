import type { Delivery } from '../../src/spi.js';

export type Outcome = 'ack' | 'requeue' | 'reject';

/** Settles a delivery whose queue may be gone already (settling then is a no-op). */
export function settleQuietly(d: Delivery, outcome: Outcome): void {
  try {
    if (outcome === 'ack') d.ack();
    else d.nack(outcome === 'requeue');
  } catch {
    // already settled by the core (queue deleted)
  }
}
