import type { QueueSpec, StoredQueue } from '../spi.js';
import { decodeValue, encodeValue } from './message-codec.js';

interface QueueRecord {
  readonly spec: QueueSpec;
  readonly unusedSince?: number | undefined;
}

/** A durable queue as one value: its spec and, with x-expires, since when it is unused. */
export function encodeQueue(q: StoredQueue): Buffer {
  const record: QueueRecord = { spec: q.spec, unusedSince: q.unusedSince };
  return encodeValue(record);
}

/** Reads both this layout and the bare QueueSpec that earlier versions wrote. */
export function decodeQueue(vhost: string, value: Buffer): StoredQueue {
  const v = decodeValue(value) as QueueRecord | QueueSpec;
  if ('spec' in v) return { vhost, spec: v.spec, unusedSince: v.unusedSince };
  return { vhost, spec: v };
}
