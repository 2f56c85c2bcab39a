/**
 * Admission of client connections across every listener of a gateway: a global cap and a cap
 * per source address (0 = no cap). A refused socket is closed before any protocol byte, as
 * RabbitMQ does when `connection_max` is reached.
 */
export interface ConnectionGateLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

export class ConnectionGate {
  readonly #limits: ConnectionGateLimits;
  readonly #byIp = new Map<string, number>();
  #total = 0;

  constructor(limits: ConnectionGateLimits) {
    this.#limits = limits;
  }

  get open(): number {
    return this.#total;
  }

  /** A release function for an admitted connection (call it once, on close), or undefined. */
  admit(remoteAddress: string | undefined): (() => void) | undefined {
    const ip = remoteAddress ?? 'unknown';
    const { maxConnections, maxConnectionsPerIp } = this.#limits;
    const fromIp = this.#byIp.get(ip) ?? 0;
    if (
      (maxConnections > 0 && this.#total >= maxConnections) ||
      (maxConnectionsPerIp > 0 && fromIp >= maxConnectionsPerIp)
    ) {
      return undefined;
    }
    this.#total++;
    this.#byIp.set(ip, fromIp + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#byIp.get(ip) ?? 1) - 1;
      if (left === 0) this.#byIp.delete(ip);
      else this.#byIp.set(ip, left);
    };
  }
}
