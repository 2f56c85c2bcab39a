import type { BrokerApi, Store } from '../spi.js';
import type { CoreLimits } from '../config/core-limits.js';
import { BrokerError } from './errors.js';
import { DurableLog } from './durable-log.js';
import { Vhost } from './vhost.js';

export interface BrokerOptions {
  readonly limits: CoreLimits;
  readonly vhosts: readonly string[];
}

/** The protocol-neutral broker: a set of virtual hosts. */
export class Broker implements BrokerApi {
  readonly defaultVhost = '/';
  readonly #vhosts = new Map<string, Vhost>();

  constructor(opts: BrokerOptions) {
    for (const name of new Set([this.defaultVhost, ...opts.vhosts])) {
      this.#vhosts.set(name, new Vhost(name, opts.limits));
    }
  }

  vhost(name: string): Vhost {
    const v = this.#vhosts.get(name);
    if (!v) throw new BrokerError('GW_ERR_NOT_FOUND', `no vhost '${name}'`);
    return v;
  }

  /** Load durable state from the store, then persist every durable change to it (through
   * `log`: the cluster layer also announces each change to the other nodes). */
  async recover(
    store: Store,
    onStoreError: (err: unknown) => void,
    log: (vhost: Vhost) => DurableLog = (v) => new DurableLog(store, v.name, onStoreError),
  ): Promise<void> {
    const topology = await store.loadTopology();
    for (const v of this.#vhosts.values()) await v.recover(store, topology, log(v));
  }

  vhostNames(): string[] {
    return [...this.#vhosts.keys()];
  }

  /** Deletes every queue (cancelling consumers, clearing timers). */
  close(): void {
    for (const v of this.#vhosts.values()) v.close();
  }
}
