import type { Receiver, Sender } from 'rhea';
import { AddressError } from './address.js';
import { toAmqp10Error } from './errors.js';
import type { LinkHost } from './link-host.js';

export interface Condition {
  readonly condition: string;
  readonly description: string;
}

/** An AMQP 1.0 error condition raised by the adapter itself (not by the core). */
export class ConditionError extends Error implements Condition {
  override readonly name = 'ConditionError';
  readonly condition: string;
  readonly description: string;

  constructor(condition: string, description: string) {
    super(description);
    this.condition = condition;
    this.description = description;
  }
}

export function notFound(description: string): ConditionError {
  return new ConditionError('amqp:not-found', description);
}

/** Attach refused (AMQP 1.0 2.6.3): our attach carries no terminus, then a detach carries the
 * reason. Only a connection-severity core error takes the connection down. */
export function refuse(host: LinkHost, link: Sender | Receiver, err: unknown): void {
  if (err instanceof AddressError) {
    link.close({ condition: 'amqp:invalid-field', description: err.message });
  } else if (err instanceof ConditionError) {
    link.close({ condition: err.condition, description: err.description });
  } else {
    const e = toAmqp10Error(err);
    if (e.scope === 'connection') host.fail(err);
    else link.close({ condition: e.condition, description: e.description });
  }
}
