import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FrameParser,
  StompParseError,
  type ParserLimits,
} from '../../../../adapters/stomp/frame-parser.js';
import { encodeFrame } from '../../../../adapters/stomp/frame-writer.js';
import type { StompFrame, StompVersion } from '../../../../adapters/stomp/frame.js';

const LIMITS: ParserLimits = { maxFrameSize: 64 * 1024, maxHeaders: 32, maxHeaderLength: 1024 };

function parseAll(input: Buffer, chunks: readonly number[] = [], version: StompVersion = '1.2') {
  const frames: StompFrame[] = [];
  let heartbeats = 0;
  const parser = new FrameParser(
    LIMITS,
    (f) => frames.push(f),
    () => heartbeats++,
  );
  parser.setVersion(version);
  let offset = 0;
  for (const size of chunks) {
    if (offset >= input.length) break;
    parser.push(input.subarray(offset, offset + size));
    offset += size;
  }
  if (offset < input.length) parser.push(input.subarray(offset));
  return { frames, heartbeats };
}

function headersOf(frame: StompFrame | undefined): Record<string, string> {
  return Object.fromEntries(frame?.headers ?? []);
}

describe('STOMP frame parser', () => {
  it('parses a frame without content-length up to the NUL (STOMP 1.2 SEND)', () => {
    const { frames } = parseAll(Buffer.from('SEND\ndestination:/queue/a\n\nhello\0'));
    expect(frames).toHaveLength(1);
    expect(frames[0]?.command).toBe('SEND');
    expect(headersOf(frames[0])).toEqual({ destination: '/queue/a' });
    expect(frames[0]?.body.toString()).toBe('hello');
  });

  it('reads exactly content-length octets, NULs included (STOMP 1.2 content-length)', () => {
    const body = Buffer.from([1, 0, 2, 0, 3]);
    const wire = Buffer.concat([
      Buffer.from('SEND\ndestination:/queue/a\ncontent-length:5\n\n'),
      body,
      Buffer.from([0]),
    ]);
    const { frames } = parseAll(wire);
    expect(frames[0]?.body).toEqual(body);
  });

  it('keeps the first of repeated headers (STOMP 1.2 Repeated Header Entries)', () => {
    const { frames } = parseAll(Buffer.from('SEND\nfoo:first\nfoo:second\n\n\0'));
    expect(headersOf(frames[0])).toEqual({ foo: 'first' });
  });

  it('accepts CR LF line ends and counts EOLs between frames as heart-beats (STOMP 1.2 Heart-beating)', () => {
    const { frames, heartbeats } = parseAll(
      Buffer.from('\n\r\nSEND\r\na:b\r\n\r\nx\0\n\nACK\nid:1\n\n\0'),
    );
    expect(frames.map((f) => f.command)).toEqual(['SEND', 'ACK']);
    expect(headersOf(frames[0])).toEqual({ a: 'b' });
    expect(heartbeats).toBe(4);
  });

  it('unescapes 1.2 headers (\\r \\n \\c \\\\) but not in CONNECT', () => {
    const { frames } = parseAll(
      Buffer.from('SEND\nk\\cx:a\\nb\\rc\\\\d\n\n\0CONNECT\nlogin:a\\nb\n\n\0'),
    );
    expect(headersOf(frames[0])).toEqual({ 'k:x': 'a\nb\rc\\d' });
    expect(headersOf(frames[1])).toEqual({ login: 'a\\nb' });
  });

  it('does not unescape in STOMP 1.0', () => {
    const { frames } = parseAll(Buffer.from('SEND\nk:a\\nb\\t\n\n\0'), [], '1.0');
    expect(headersOf(frames[0])).toEqual({ k: 'a\\nb\\t' });
  });

  it('rejects undefined escapes such as \\t (STOMP 1.2 Value Encoding) and \\r in 1.1', () => {
    expect(() => parseAll(Buffer.from('SEND\nk:a\\tb\n\n\0'))).toThrow(StompParseError);
    expect(() => parseAll(Buffer.from('SEND\nk:a\\rb\n\n\0'), [], '1.1')).toThrow(StompParseError);
  });

  it('rejects a header line without a colon', () => {
    expect(() => parseAll(Buffer.from('SEND\nnocolon\n\n\0'))).toThrow(/malformed header/);
  });

  it('rejects too many headers, counting repeated ones', () => {
    const headers = Array.from({ length: LIMITS.maxHeaders + 1 }, () => 'a:b\n').join('');
    expect(() => parseAll(Buffer.from(`SEND\n${headers}\n\0`))).toThrow(/more than 32 headers/);
  });

  it('rejects a header line over the limit even when it never ends', () => {
    const long = 'x'.repeat(LIMITS.maxHeaderLength + 1);
    expect(() => parseAll(Buffer.from(`SEND\nk:${long}\n\n\0`))).toThrow(/longer than/);
    expect(() => parseAll(Buffer.from(`SEND\nk:${long}`), [10, 10])).toThrow(/longer than/);
  });

  it('rejects a frame over the size limit, with and without content-length', () => {
    const big = LIMITS.maxFrameSize + 1;
    expect(() => parseAll(Buffer.from(`SEND\ncontent-length:${big}\n\n`))).toThrow(/frame larger/);
    expect(() => parseAll(Buffer.from('SEND\n\n' + 'x'.repeat(big)))).toThrow(/frame larger/);
  });

  it('rejects a content-length that lies (no NUL after the body)', () => {
    expect(() => parseAll(Buffer.from('SEND\ncontent-length:2\n\nhello\0'))).toThrow(
      /not followed by NUL/,
    );
    expect(() => parseAll(Buffer.from('SEND\ncontent-length:-1\n\n\0'))).toThrow(
      /invalid content-length/,
    );
  });

  it('refuses input after a failure', () => {
    const parser = new FrameParser(LIMITS, () => undefined);
    expect(() => {
      parser.push(Buffer.from('SEND\nbad\n\n'));
    }).toThrow(StompParseError);
    expect(() => {
      parser.push(Buffer.from('\0'));
    }).toThrow(/already failed/);
  });

  it('keeps a UTF-8 character split across chunks intact', () => {
    const wire = Buffer.from('SEND\nk:h\u00e9llo \u2603\n\n\0');
    const { frames } = parseAll(
      wire,
      Array.from({ length: wire.length }, () => 1),
    );
    expect(headersOf(frames[0])).toEqual({ k: 'h\u00e9llo \u2603' });
  });
});

// Characters that need escaping in 1.2 (1.1 cannot carry '\r'), plus multi-byte UTF-8.
const unit = (version: StompVersion) =>
  fc.constantFrom(
    'a',
    'b',
    '-',
    ':',
    '\\',
    '\n',
    ...(version === '1.2' ? ['\r'] : []),
    '\u00e9',
    '\u2603',
  );
const frameArb = (version: StompVersion) =>
  fc.record({
    command: fc.constantFrom('SEND', 'ACK', 'MESSAGE', 'SUBSCRIBE'),
    headers: fc.uniqueArray(
      fc.tuple(
        fc
          .string({ unit: unit(version), minLength: 1, maxLength: 12 })
          .filter((s) => s !== 'content-length'),
        fc.string({ unit: unit(version), maxLength: 20 }),
      ),
      { selector: (h) => h[0], maxLength: 6 },
    ),
    body: fc.uint8Array({ maxLength: 200 }),
  });
const caseArb = fc
  .constantFrom<StompVersion>('1.1', '1.2')
  .chain((version) =>
    fc.tuple(fc.array(frameArb(version), { minLength: 1, maxLength: 4 }), fc.constant(version)),
  );

describe('STOMP codec round trip (fast-check)', () => {
  it('parses what the writer wrote, whole, one byte at a time and in random chunks', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }),
        ([input, version], chunks) => {
          const wire = Buffer.concat(
            input.map((f) => encodeFrame(f.command, f.headers, Buffer.from(f.body), version)),
          );
          const expected = input.map((f) => ({
            command: f.command,
            headers: Object.fromEntries(
              f.body.length > 0 || f.command === 'MESSAGE'
                ? [...f.headers, ['content-length', String(f.body.length)]]
                : f.headers,
            ),
            body: Buffer.from(f.body),
          }));
          const simplify = (frames: StompFrame[]) =>
            frames.map((f) => ({ command: f.command, headers: headersOf(f), body: f.body }));
          expect(simplify(parseAll(wire, chunks, version).frames)).toEqual(expected);
          const bytes = Array.from({ length: wire.length }, () => 1);
          expect(simplify(parseAll(wire, bytes, version).frames)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
