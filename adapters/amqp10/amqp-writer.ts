/**
 * A reusable AMQP 1.0 type encoder (AMQP 1.0 1.6 primitive type encodings) writing into one
 * growing buffer. rhea's encoder builds a wrapper object per value and a Buffer per section;
 * the delivery path writes bytes straight from the core's message instead.
 */
const INITIAL_SIZE = 4096;
/** Shrink back after a big message so one large body does not pin memory. */
const KEEP_SIZE = 64 * 1024;
const MAX_UINT = 0xffff_ffff;
const MIN_INT = -0x8000_0000;

export class AmqpWriter {
  #buf = Buffer.allocUnsafe(INITIAL_SIZE);
  #at = 0;

  /** A copy of what was written; the writer is then empty again. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.#at);
    this.#buf.copy(out, 0, 0, this.#at);
    this.#at = 0;
    if (this.#buf.length > KEEP_SIZE) this.#buf = Buffer.allocUnsafe(INITIAL_SIZE);
    return out;
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(bigger, 0, 0, this.#at);
    this.#buf = bigger;
  }

  #byte(b: number): void {
    this.#room(1);
    this.#buf[this.#at++] = b;
  }

  /** A described section or composite: 0x00, smallulong descriptor (AMQP 1.0 1.2). */
  descriptor(code: number): void {
    this.#room(3);
    this.#buf[this.#at++] = 0x00;
    this.#buf[this.#at++] = 0x53;
    this.#buf[this.#at++] = code;
  }

  null(): void {
    this.#byte(0x40);
  }

  boolean(v: boolean): void {
    this.#byte(v ? 0x41 : 0x42);
  }

  ubyte(v: number): void {
    this.#room(2);
    this.#buf[this.#at++] = 0x50;
    this.#buf[this.#at++] = v;
  }

  /** 0 and values below 256 have short forms (uint0 / smalluint, ulong0 / smallulong). */
  #compact(zero: number, small: number, v: number): boolean {
    if (v === 0) {
      this.#byte(zero);
    } else if (v < 256) {
      this.#room(2);
      this.#buf[this.#at++] = small;
      this.#buf[this.#at++] = v;
    } else {
      return false;
    }
    return true;
  }

  uint(v: number): void {
    if (this.#compact(0x43, 0x52, v)) return;
    this.#room(5);
    this.#buf[this.#at++] = 0x70;
    this.#at = this.#buf.writeUInt32BE(v, this.#at);
  }

  ulong(v: number): void {
    if (!this.#compact(0x44, 0x53, v)) this.#fixed64(0x80, BigInt(v));
  }

  #fixed64(code: number, v: bigint): void {
    this.#room(9);
    this.#buf[this.#at++] = code;
    this.#at =
      code === 0x80
        ? this.#buf.writeBigUInt64BE(v, this.#at)
        : this.#buf.writeBigInt64BE(v, this.#at);
  }

  timestamp(ms: number): void {
    this.#fixed64(0x83, BigInt(Math.trunc(ms)));
  }

  /** A number as rhea would encode it: uint/ulong, int/long or double. */
  number(v: number): void {
    if (Number.isNaN(v)) {
      this.null();
    } else if (!Number.isInteger(v)) {
      this.#room(9);
      this.#buf[this.#at++] = 0x82;
      this.#at = this.#buf.writeDoubleBE(v, this.#at);
    } else if (v > 0) {
      if (v < MAX_UINT) this.uint(v);
      else this.ulong(v);
    } else if (v > MIN_INT) {
      this.#room(5);
      this.#buf[this.#at++] = 0x71;
      this.#at = this.#buf.writeInt32BE(v, this.#at);
    } else {
      this.#fixed64(0x81, BigInt(v));
    }
  }

  string(s: string): void {
    this.#variable(0xa1, s, 'utf8');
  }

  symbol(s: string): void {
    this.#variable(0xa3, s, 'latin1');
  }

  binary(b: Uint8Array): void {
    const n = b.length;
    this.#head(0xa0, n);
    this.#buf.set(b, this.#at);
    this.#at += n;
  }

  /** Bytes already AMQP-encoded (stored body sections). */
  raw(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#at);
    this.#at += b.length;
  }

  /** 16 bytes (shorter input is zero-padded). */
  uuid(b: Buffer): void {
    this.#room(17);
    this.#buf[this.#at++] = 0x98;
    this.#buf.fill(0, this.#at, this.#at + 16);
    b.copy(this.#buf, this.#at, 0, 16);
    this.#at += 16;
  }

  /** Code for the 1-byte-size form (0xa0, 0xa1, 0xa3); +0x10 is the 4-byte-size form. */
  #head(code8: number, n: number): void {
    this.#room(5 + n);
    if (n < 256) {
      this.#buf[this.#at++] = code8;
      this.#buf[this.#at++] = n;
    } else {
      this.#buf[this.#at++] = code8 + 0x10;
      this.#at = this.#buf.writeUInt32BE(n, this.#at);
    }
  }

  #variable(code8: number, s: string, encoding: 'utf8' | 'latin1'): void {
    const n = encoding === 'latin1' ? s.length : Buffer.byteLength(s, 'utf8');
    this.#head(code8, n);
    this.#at += this.#buf.write(s, this.#at, n, encoding);
  }

  /** Starts a list (map = true: a map) of `count` items (a map counts keys and values);
   * `end` fills in the size, in the short form when it fits. */
  begin(count: number, map = false): number {
    this.#room(9);
    const start = this.#at;
    this.#buf[this.#at] = map ? 0xd1 : 0xd0;
    this.#buf.writeUInt32BE(count, start + 5);
    this.#at += 9;
    return start;
  }

  end(start: number): void {
    const body = this.#at - start - 9;
    const count = this.#buf.readUInt32BE(start + 5);
    if (body + 1 < 256 && count < 256) {
      // Short form (list8/map8): size and count in one byte each.
      this.#buf[start] = (this.#buf[start] ?? 0) - 0x10;
      this.#buf[start + 1] = body + 1;
      this.#buf[start + 2] = count;
      this.#buf.copyWithin(start + 3, start + 9, this.#at);
      this.#at -= 6;
    } else {
      this.#buf.writeUInt32BE(body + 4, start + 1);
    }
  }

  /** Any value a header may hold (the shapes rhea's `wrap` accepts). */
  value(v: unknown): void {
    if (v === null || v === undefined) this.null();
    else if (typeof v === 'string') this.string(v);
    else if (typeof v === 'number') this.number(v);
    else if (typeof v === 'boolean') this.boolean(v);
    else if (typeof v === 'bigint') this.#fixed64(0x81, BigInt.asIntN(64, v));
    else if (v instanceof Date) this.timestamp(v.getTime());
    else if (v instanceof Uint8Array) this.binary(v);
    else if (Array.isArray(v)) {
      const start = this.begin(v.length);
      for (const item of v) this.value(item);
      this.end(start);
    } else this.map(v as Record<string, unknown>, false);
  }

  /** A map with string (or, for annotations, symbol) keys (AMQP 1.0 3.2.5, 3.2.10). */
  map(m: Record<string, unknown>, symbolKeys: boolean): void {
    const keys = Object.keys(m);
    const start = this.begin(keys.length * 2, true);
    for (const k of keys) {
      if (symbolKeys) this.symbol(k);
      else this.string(k);
      this.value(m[k]);
    }
    this.end(start);
  }
}
