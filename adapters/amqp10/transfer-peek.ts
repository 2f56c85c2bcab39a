/**
 * Reads the `handle` and `more` fields of a transfer frame without decoding it (AMQP 1.0
 * 1.2 type encodings, 2.7.5 transfer), so multi-frame messages can be size-checked before
 * rhea concatenates their frames.
 */
const TRANSFER = 0x14;

export interface TransferHead {
  readonly handle: number;
  readonly more: boolean;
}

/** Bytes taken by the value starting at `at` (constructor included); -1 if cut short. */
function valueSize(buf: Buffer, at: number): number {
  const code = buf[at];
  if (code === undefined) return -1;
  if (code === 0x00) {
    const descriptor = valueSize(buf, at + 1);
    if (descriptor < 0) return -1;
    const value = valueSize(buf, at + 1 + descriptor);
    return value < 0 ? -1 : 1 + descriptor + value;
  }
  // The high nibble is the encoding category: fixed widths, then variable and compound ones
  // with a 1- or 4-byte size.
  switch (code >> 4) {
    case 0x4:
      return 1;
    case 0x5:
      return 2;
    case 0x6:
      return 3;
    case 0x7:
      return 5;
    case 0x8:
      return 9;
    case 0x9:
      return 17;
    case 0xa:
    case 0xc:
    case 0xe:
      return at + 1 < buf.length ? 2 + (buf[at + 1] ?? 0) : -1;
    case 0xb:
    case 0xd:
    case 0xf:
      return at + 5 <= buf.length ? 5 + buf.readUInt32BE(at + 1) : -1;
    default:
      return -1;
  }
}

function readUint(buf: Buffer, at: number): number | undefined {
  switch (buf[at]) {
    case 0x43:
      return 0;
    case 0x52:
      return buf[at + 1];
    case 0x70:
      return at + 5 <= buf.length ? buf.readUInt32BE(at + 1) : undefined;
    default:
      return undefined;
  }
}

/** `undefined` when the frame is not a (readable) transfer. */
export function peekTransfer(frame: Buffer): TransferHead | undefined {
  let at = (frame[4] ?? 2) * 4;
  if (frame[at] !== 0x00) return undefined;
  if (frame[at + 1] === 0x53 && frame[at + 2] === TRANSFER) at += 3;
  else if (
    frame[at + 1] === 0x80 &&
    at + 10 <= frame.length &&
    frame.readBigUInt64BE(at + 2) === BigInt(TRANSFER)
  )
    at += 10;
  else return undefined;
  let count: number;
  if (frame[at] === 0xc0) {
    count = frame[at + 2] ?? 0;
    at += 3;
  } else if (frame[at] === 0xd0 && at + 9 <= frame.length) {
    count = frame.readUInt32BE(at + 5);
    at += 9;
  } else {
    return undefined;
  }
  const handle = readUint(frame, at);
  if (handle === undefined) return undefined;
  // Fields: handle, delivery-id, delivery-tag, message-format, settled, more.
  for (let field = 0; field < 5; field++) {
    if (field >= count) return { handle, more: false };
    const size = valueSize(frame, at);
    if (size < 0) return undefined;
    at += size;
  }
  if (count < 6) return { handle, more: false };
  const more = frame[at];
  return { handle, more: more === 0x41 || (more === 0x56 && frame[at + 1] === 1) };
}
