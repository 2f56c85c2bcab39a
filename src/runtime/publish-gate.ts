/**
 * Per-connection publish flow control, one implementation for every protocol: a token bucket
 * (messages/s with a burst) and the memory alarm. Over the rate, or under the alarm once the
 * connection has published, the connection's reading is paused rather than messages dropped,
 * so TCP backpressure slows the client the way RabbitMQ's credit flow does.
 */
import type { MemoryAlarm, Pausable, PublishGate } from '../spi.js';

export interface PublishRate {
  /** Messages per second; 0 = no limit. */
  readonly perSecond: number;
  /** Bucket size; 0 = one second's worth. */
  readonly burst: number;
}

export class ConnectionPublishGate implements PublishGate {
  readonly #target: Pausable;
  readonly #alarm: MemoryAlarm;
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #unsubscribe: () => void;
  #tokens: number;
  #refilledAt: number;
  #publisher = false;
  #paused = false;
  #refillTimer: NodeJS.Timeout | undefined;

  constructor(
    target: Pausable,
    rate: PublishRate,
    alarm: MemoryAlarm,
    now = () => performance.now(),
  ) {
    this.#target = target;
    this.#alarm = alarm;
    this.#rate = rate.perSecond;
    this.#burst = rate.burst > 0 ? rate.burst : Math.max(1, rate.perSecond);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#refilledAt = now();
    this.#unsubscribe = alarm.subscribe(() => {
      this.#update();
    });
  }

  published(n = 1): void {
    this.#publisher = true;
    if (this.#rate > 0) {
      this.#refill();
      this.#tokens -= n;
    }
    this.#update();
  }

  /** Also releases a hold, so what the target keeps while paused (timers) goes with it. */
  close(): void {
    this.#unsubscribe();
    clearTimeout(this.#refillTimer);
    this.#refillTimer = undefined;
    if (this.#paused) {
      this.#paused = false;
      this.#target.resume();
    }
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000,
    );
    this.#refilledAt = now;
  }

  /** Pause or resume to match the alarm and the bucket; a timer resumes when tokens are back. */
  #update(): void {
    const overRate = this.#rate > 0 && this.#tokens < 0;
    const hold = (this.#publisher && this.#alarm.raised) || overRate;
    if (overRate && !this.#refillTimer) {
      const waitMs = Math.ceil((-this.#tokens * 1000) / this.#rate);
      this.#refillTimer = setTimeout(() => {
        this.#refillTimer = undefined;
        this.#refill();
        this.#update();
      }, waitMs);
    }
    if (hold === this.#paused) return;
    this.#paused = hold;
    if (hold) this.#target.pause();
    else this.#target.resume();
  }
}
