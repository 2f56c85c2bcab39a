import type { Peers } from '../spi.js';

/** A gateway alone: it holds every session, and there is nobody to tell anything. */
export class LocalPeers implements Peers {
  readonly clustered = false;

  async claim(): Promise<void> {
    return;
  }

  async release(): Promise<void> {
    return;
  }

  async adopt(keys: readonly string[]): Promise<string[]> {
    return [...keys];
  }

  onRelease(): void {
    return;
  }

  announce(): void {
    return;
  }

  onAnnouncement(): void {
    return;
  }

  onResync(): void {
    return;
  }
}
