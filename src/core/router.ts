import type { Message } from '../spi.js';
import type { Exchange } from './exchange.js';

export interface RouteTables {
  exchange(name: string): Exchange | undefined;
}

/**
 * Worklist routing over exchange-to-exchange bindings (RabbitMQ rabbit_exchange:route/3): each
 * exchange is visited once (cycle-safe), an exchange that matched nothing hands the message to
 * its alternate exchange, and each queue appears once in the result.
 */
export function route(tables: RouteTables, start: Exchange, msg: Message): Set<string> {
  const queues = new Set<string>();
  const seen = new Set<string>([start.name]);
  const work: Exchange[] = [start];
  for (let x = work.pop(); x; x = work.pop()) {
    let matched = false;
    for (const b of x.matcher.match(msg)) {
      matched = true;
      const { kind, name } = b.destination;
      if (kind === 'queue') queues.add(name);
      else visit(name);
    }
    if (!matched && x.alternate !== undefined) visit(x.alternate);
  }
  return queues;

  function visit(name: string): void {
    if (seen.has(name)) return;
    seen.add(name);
    const next = tables.exchange(name);
    if (next) work.push(next);
  }
}
