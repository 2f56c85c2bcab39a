import type { StompVersion } from './frame.js';

/**
 * Header value escaping (STOMP 1.2 "Value Encoding"): 1.2 escapes `\r \n : \`, 1.1 all but
 * `\r`, 1.0 nothing. CONNECT and CONNECTED frames are never escaped, so the caller passes
 * version '1.0' for them.
 */
export class HeaderEscapeError extends Error {
  override readonly name = 'HeaderEscapeError';
}

const DECODE_12: Readonly<Record<string, string>> = { r: '\r', n: '\n', c: ':', '\\': '\\' };
const DECODE_11: Readonly<Record<string, string>> = { n: '\n', c: ':', '\\': '\\' };
const ENCODE_12 = /[\r\n:\\]/g;
const ENCODE_11 = /[\n:\\]/g;
const ENCODED: Readonly<Record<string, string>> = {
  '\r': '\\r',
  '\n': '\\n',
  ':': '\\c',
  '\\': '\\\\',
};

export function unescapeHeader(raw: string, version: StompVersion): string {
  if (version === '1.0' || !raw.includes('\\')) return raw;
  const table = version === '1.2' ? DECODE_12 : DECODE_11;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charAt(i);
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = raw[++i] ?? '';
    const decoded = table[next];
    // STOMP 1.2: "Undefined escape sequences such as \t MUST be treated as a fatal protocol error".
    if (decoded === undefined) throw new HeaderEscapeError(`undefined escape sequence '\\${next}'`);
    out += decoded;
  }
  return out;
}

export function escapeHeader(value: string, version: StompVersion): string {
  if (version === '1.0') return value;
  const re = version === '1.2' ? ENCODE_12 : ENCODE_11;
  re.lastIndex = 0;
  return re.test(value) ? value.replace(re, (c) => ENCODED[c] ?? c) : value;
}

/** STOMP 1.0 has no escapes: a line break would end the header early, a ':' in a name would
 * split it elsewhere. Such headers cannot be written and are left out. */
export function isWritableHeader10(name: string, value: string): boolean {
  return !/[\r\n:]/.test(name) && !/[\r\n]/.test(value);
}
