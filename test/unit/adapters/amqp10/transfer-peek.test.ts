import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { peekTransfer } from '../../../../adapters/amqp10/transfer-peek.js';

/** rhea's own frame encoder (lib/frames.js), the reference for what clients put on the wire. */
interface Frames {
  transfer(fields: Record<string, unknown>): unknown;
  attach(fields: Record<string, unknown>): unknown;
  amqp_frame(channel: number, performative: unknown, payload?: Buffer): unknown;
  write_frame(frame: unknown): Buffer;
}
const frames = createRequire(import.meta.url)('rhea/lib/frames.js') as Frames;

function transferFrame(fields: Record<string, unknown>, payload = Buffer.from('body')): Buffer {
  return frames.write_frame(frames.amqp_frame(3, frames.transfer(fields), payload));
}

describe('peekTransfer (AMQP 1.0 2.7.5 transfer fields, 1.2 encodings)', () => {
  it('reads handle and more from any transfer rhea encodes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        (handle, deliveryId, tag, settled, more) => {
          const frame = transferFrame({
            handle,
            delivery_id: deliveryId,
            delivery_tag: Buffer.from(tag),
            message_format: 0,
            settled,
            more,
          });
          expect(peekTransfer(frame)).toEqual({ handle, more });
        },
      ),
    );
  });

  it('a continuation frame with only handle and more set', () => {
    expect(peekTransfer(transferFrame({ handle: 7, more: true }))).toEqual({
      handle: 7,
      more: true,
    });
    expect(peekTransfer(transferFrame({ handle: 7 }))).toEqual({ handle: 7, more: false });
  });

  it('other performatives are not transfers', () => {
    const attach = frames.write_frame(
      frames.amqp_frame(0, frames.attach({ name: 'l', handle: 1, role: false })),
    );
    expect(peekTransfer(attach)).toBeUndefined();
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), (bytes) => {
        const frame = Buffer.from(bytes);
        frame[4] = 2;
        expect(() => peekTransfer(frame)).not.toThrow();
      }),
    );
  });
});
