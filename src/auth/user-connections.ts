/**
 * Per-user connection limits (RabbitMQ user limit `max-connections`), enforced at login for
 * every protocol: a login over the limit is refused with GW_ERR_ACCESS_REFUSED, which each
 * adapter turns into its own refusal (CONNACK 5, 403, STOMP ERROR, SASL failure).
 */
import { BrokerError } from '../core/errors.js';
import type { ConnectionInfo } from '../spi.js';

export class UserConnections {
  readonly #defaultMax: number;
  readonly #open = new Map<string, number>();
  /** Connections already counted, so a second login on one connection is not counted twice. */
  readonly #counted = new Set<string>();

  /** `defaultMax` applies to users without their own `maxConnections`; 0 = no cap. */
  constructor(defaultMax: number) {
    this.#defaultMax = defaultMax;
  }

  open(username: string): number {
    return this.#open.get(username) ?? 0;
  }

  /** Counts `conn` for `username` until it closes, or throws when the user is at its cap. */
  admit(username: string, max: number | undefined, conn: ConnectionInfo): void {
    if (this.#counted.has(conn.id) || !conn.onClose) return;
    const cap = max ?? this.#defaultMax;
    const open = this.open(username);
    if (cap > 0 && open >= cap) {
      throw new BrokerError(
        'GW_ERR_ACCESS_REFUSED',
        `connection limit (${cap}) of user '${username}' is reached`,
      );
    }
    this.#open.set(username, open + 1);
    this.#counted.add(conn.id);
    conn.onClose(() => {
      this.#counted.delete(conn.id);
      const left = this.open(username) - 1;
      if (left > 0) this.#open.set(username, left);
      else this.#open.delete(username);
    });
  }
}
