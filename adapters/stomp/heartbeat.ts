import type { HeartbeatPlan } from './negotiate.js';

/**
 * The two heart-beat timers of one connection. Activity is recorded by the caller (any byte in,
 * any frame out); the timers only look at timestamps, so the hot path costs one Date.now().
 */
export class Heartbeats {
  private lastIn = Date.now();
  private lastOut = Date.now();
  private sendTimer: NodeJS.Timeout | undefined;
  private receiveTimer: NodeJS.Timeout | undefined;
  /** We stopped reading (publish gate): the client's silence is ours, not its own. */
  private held = false;

  start(plan: HeartbeatPlan, grace: number, sendBeat: () => void, onSilence: () => void): void {
    if (plan.sendMs > 0) {
      // Ticking at half the interval keeps every gap under `sendMs`.
      const tick = Math.max(10, Math.floor(plan.sendMs / 2));
      this.sendTimer = setInterval(() => {
        if (Date.now() - this.lastOut >= tick) sendBeat();
      }, tick);
    }
    if (plan.receiveMs > 0) {
      const limit = plan.receiveMs * grace;
      // Check at least twice per allowed silence so a dead client goes within 1.5 x limit.
      this.receiveTimer = setInterval(
        () => {
          if (!this.held && Date.now() - this.lastIn > limit) onSilence();
        },
        Math.max(10, Math.floor(limit / 2)),
      );
    }
  }

  received(): void {
    this.lastIn = Date.now();
  }

  /** RabbitMQ pauses the heart-beat monitor of a connection it stops reading. */
  hold(held: boolean): void {
    this.held = held;
    this.lastIn = Date.now();
  }

  sent(): void {
    this.lastOut = Date.now();
  }

  stop(): void {
    clearInterval(this.sendTimer);
    clearInterval(this.receiveTimer);
    this.sendTimer = undefined;
    this.receiveTimer = undefined;
  }
}
