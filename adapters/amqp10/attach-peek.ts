import { codec, type TypedValue } from './rhea-internals.js';

/** attach performative (AMQP 1.0 2.7.3) and the coordinator target (4.5.1). */
const ATTACH = 0x12;
const TARGET_FIELD = 6;
const COORDINATOR = 0x30;
const COORDINATOR_SYMBOL = 'amqp:coordinator:list';

/**
 * Whether a frame is an attach whose target is a transaction coordinator (AMQP 1.0 4.5.1).
 * rhea knows only source and target termini: it turns a coordinator into a null target, which
 * would read as an anonymous terminus, so the frame is looked at before rhea gets it.
 */
export function isCoordinatorAttach(frame: Buffer): boolean {
  const at = (frame[4] ?? 2) * 4;
  if (frame[at] !== 0x00 || frame[at + 1] !== 0x53 || frame[at + 2] !== ATTACH) return false;
  try {
    const attach = new codec.Reader(frame.subarray(at)).read();
    const fields = attach.value;
    if (!Array.isArray(fields)) return false;
    const d = (fields[TARGET_FIELD] as TypedValue | undefined)?.descriptor?.value;
    return d === COORDINATOR_SYMBOL || Number(d) === COORDINATOR;
  } catch {
    // rhea will fail on the same bytes and report the decode error.
    return false;
  }
}
