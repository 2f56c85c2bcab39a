import type { ChainableCommander } from 'ioredis';

export type Arg = string | Buffer | number;
/** Variadic commands: `CMD key a1 a2 ...` does what `CMD key a1` then `CMD key a2` would. */
export type MergeableCommand = 'zadd' | 'zrem' | 'hset' | 'hdel' | 'sadd';

interface Command {
  readonly name: MergeableCommand | 'del';
  readonly keys: readonly string[];
  readonly args: Arg[];
}

/** Keeps one command (and one reply) bounded when thousands of writes hit one key. */
const MAX_ARGS = 2_000;

/**
 * The write commands of one group commit. Redis' per-command cost dominates small writes
 * (a publish is a ZADD and an HSET), so a command joins the previous one of the same name on
 * the same key when no command in between touched that key: it then runs a little earlier but
 * only past commands on other keys, and the batch is one MULTI/EXEC anyway, so the outcome is
 * that of the commands in call order. 500 appends to a queue become 2 commands, not 1000.
 */
export class CommandBatch {
  readonly #commands: Command[] = [];
  /** Per key: index of the last command touching it. */
  readonly #lastByKey = new Map<string, number>();

  get length(): number {
    return this.#commands.length;
  }

  add(name: MergeableCommand, key: string, ...args: Arg[]): void {
    const i = this.#lastByKey.get(key);
    const last = i === undefined ? undefined : this.#commands[i];
    if (last?.name === name && last.args.length + args.length <= MAX_ARGS) {
      last.args.push(...args);
      return;
    }
    this.#push({ name, keys: [key], args });
  }

  del(...keys: string[]): void {
    this.#push({ name: 'del', keys, args: [] });
  }

  #push(c: Command): void {
    const index = this.#commands.push(c) - 1;
    for (const k of c.keys) this.#lastByKey.set(k, index);
  }

  /** The commands split by the slot of their keys (a command's keys share one: redis-keys.ts),
   * each part in call order. */
  bySlot(slotOf: (key: string) => number): CommandBatch[] {
    const parts = new Map<number, CommandBatch>();
    for (const c of this.#commands) {
      const slot = slotOf(c.keys[0] ?? '');
      let part = parts.get(slot);
      if (!part) parts.set(slot, (part = new CommandBatch()));
      part.#push(c);
    }
    return [...parts.values()];
  }

  sendTo(tx: ChainableCommander): void {
    for (const c of this.#commands) tx.call(c.name, [...c.keys, ...c.args]);
  }
}
