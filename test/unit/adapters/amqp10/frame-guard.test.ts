import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameGuard,
  SASL_HEADER,
  type FrameViolation,
} from '../../../../adapters/amqp10/frame-guard.js';

const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
const LIMITS = {
  maxFrameSize: 512,
  maxSaslFrameSize: 64,
  channelMax: 3,
  maxMessageSize: 2048,
  closeTimeoutMs: 1000,
};

function frame(size: number, channel = 0): Buffer {
  const f = Buffer.alloc(size, 0x41);
  f.writeUInt32BE(size, 0);
  f[4] = 2;
  f[5] = 0;
  f.writeUInt16BE(channel, 6);
  return f;
}

/** A stream whose input we push by hand and whose output we record. */
function harness() {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {
      // input is pushed by the test
    },
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  const violations: FrameViolation[] = [];
  const guard = new FrameGuard(stream, LIMITS, (v) => violations.push(v));
  const data: Buffer[] = [];
  guard.on('data', (b: Buffer) => data.push(Buffer.from(b)));
  guard.on('error', () => undefined);
  return { stream, guard, data, violations, written };
}

function feed(stream: Duplex, input: Buffer, cuts: readonly number[]): Promise<void> {
  let offset = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= offset || cut >= input.length) continue;
    stream.push(input.subarray(offset, cut));
    offset = cut;
  }
  stream.push(input.subarray(offset));
  return new Promise((resolve) => setImmediate(resolve));
}

describe('FrameGuard: whole frames to rhea, limits first', () => {
  it('emits the SASL header, SASL frames, the AMQP header (after SASL ok) and frames, one per event, however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 200 }), { maxLength: 12 }), async (cuts) => {
        const { stream, guard, data, violations } = harness();
        guard.saslSucceeded();
        const parts = [
          SASL_HEADER,
          frame(20),
          frame(64),
          AMQP_HEADER,
          frame(8),
          frame(100, 3),
          frame(512, 1),
        ];
        await feed(stream, Buffer.concat(parts), cuts);
        expect(violations).toEqual([]);
        expect(data).toEqual(parts);
        expect(guard.lastChannel).toBe(1);
      }),
      { numRuns: 50 },
    );
  });

  it('holds a pipelined AMQP header until the login succeeded', async () => {
    const { stream, guard, data } = harness();
    await feed(stream, Buffer.concat([SASL_HEADER, frame(20), AMQP_HEADER, frame(8)]), []);
    expect(data).toHaveLength(2);
    guard.saslSucceeded();
    expect(data).toHaveLength(4);
  });

  it('max-frame-size: a bigger frame is a framing-error and nothing after it is read (AMQP 1.0 2.7.1)', async () => {
    const { stream, guard, data, violations } = harness();
    guard.saslSucceeded();
    await feed(stream, Buffer.concat([SASL_HEADER, AMQP_HEADER, frame(513), frame(8)]), []);
    expect(violations).toEqual([
      expect.objectContaining({ condition: 'amqp:connection:framing-error', beforeOpen: false }),
    ]);
    expect(data).toHaveLength(2);
  });

  it('SASL frames have their own, smaller limit', async () => {
    const { stream, violations } = harness();
    await feed(stream, Buffer.concat([SASL_HEADER, frame(65)]), []);
    expect(violations).toEqual([expect.objectContaining({ beforeOpen: true })]);
  });

  it('a frame header with size < 8 or doff < 2 is malformed', async () => {
    const { stream, violations } = harness();
    const bad = frame(8);
    bad[4] = 1;
    await feed(stream, Buffer.concat([SASL_HEADER, bad]), []);
    expect(violations[0]?.description).toMatch(/malformed/);
  });

  it('an unknown protocol header is answered with AMQP 3 1 0 0 and the socket ended (AMQP 1.0 2.2)', async () => {
    const { stream, data, written } = harness();
    const ended = new Promise((resolve) => stream.once('finish', resolve));
    await feed(stream, Buffer.from('GET / HTTP/1.1\r\n'), []);
    await ended;
    expect(data).toEqual([]);
    expect(Buffer.concat(written)).toEqual(SASL_HEADER);
  });

  it('a plain AMQP header without SASL is refused the same way (we require SASL, 5.3.1)', async () => {
    const { stream, written } = harness();
    const ended = new Promise((resolve) => stream.once('finish', resolve));
    await feed(stream, AMQP_HEADER, []);
    await ended;
    expect(Buffer.concat(written)).toEqual(SASL_HEADER);
  });
});

describe('FrameGuard: max-message-size over multi-frame transfers', () => {
  const frames = createRequire(import.meta.url)('rhea/lib/frames.js') as {
    transfer(fields: Record<string, unknown>): unknown;
    amqp_frame(channel: number, performative: unknown, payload?: Buffer): unknown;
    write_frame(frame: unknown): Buffer;
  };
  const part = (more: boolean, handle = 0): Buffer =>
    frames.write_frame(
      frames.amqp_frame(0, frames.transfer({ handle, delivery_id: 0, more }), Buffer.alloc(400)),
    );

  it('counts the frames of one delivery and resets after the last', async () => {
    const { stream, guard, violations, data } = harness();
    guard.saslSucceeded();
    // 4 x ~420 bytes < 2048: fine; again on another handle; then 5 frames + 1 > 2048.
    const ok = [part(true), part(true), part(true), part(false)];
    await feed(
      stream,
      Buffer.concat([SASL_HEADER, AMQP_HEADER, ...ok, part(true, 1), part(false, 1)]),
      [],
    );
    expect(violations).toEqual([]);
    expect(data).toHaveLength(8);
    await feed(
      stream,
      Buffer.concat([part(true), part(true), part(true), part(true), part(true)]),
      [],
    );
    expect(violations).toEqual([
      expect.objectContaining({ condition: 'amqp:link:message-size-exceeded' }),
    ]);
  });
});
