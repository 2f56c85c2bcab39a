/**
 * The gateway-wide memory alarm (RabbitMQ `vm_memory_high_watermark`, absolute): while the
 * process's resident memory is above the high watermark, publishing connections of every
 * protocol are no longer read (AMQP 0-9-1 also says connection.blocked; AMQP 1.0 grants its
 * senders no more credit) until it falls below again.
 */
import { totalmem } from 'node:os';
import type { MemoryAlarm } from '../spi.js';

/** `memory.highWatermark` in bytes, else `highWatermarkRelative` of the machine's memory; 0 = off. */
export function highWatermarkBytes(
  memory: { readonly highWatermark: number; readonly highWatermarkRelative: number },
  total = totalmem(),
): number {
  return memory.highWatermark > 0
    ? memory.highWatermark
    : Math.floor(memory.highWatermarkRelative * total);
}

export type AlarmListener = (raised: boolean) => void;

export class ProcessMemoryAlarm implements MemoryAlarm {
  readonly #watermark: number;
  readonly #listeners = new Set<AlarmListener>();
  readonly #timer: NodeJS.Timeout | undefined;
  #raised = false;

  /** `watermark` in bytes of RSS; 0 disables the alarm. */
  constructor(
    watermark: number,
    intervalMs: number,
    sample: () => number = () => process.memoryUsage.rss(),
  ) {
    this.#watermark = watermark;
    if (watermark > 0) {
      this.#timer = setInterval(() => {
        this.update(sample());
      }, intervalMs);
      this.#timer.unref();
    }
  }

  get raised(): boolean {
    return this.#raised;
  }

  /** Feeds one memory sample; listeners hear about changes only. */
  update(rss: number): void {
    const raised = rss > this.#watermark;
    if (raised === this.#raised) return;
    this.#raised = raised;
    for (const l of this.#listeners) l(raised);
  }

  subscribe(listener: AlarmListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#listeners.clear();
  }
}
