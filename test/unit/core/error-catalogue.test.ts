/** The GW_ERR_* catalogue, and that README.md documents it (fastify's errors.test.js pattern:
 * the catalogue and the docs cannot drift). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BrokerError, ERRORS, isBrokerError, type ErrorCode } from '../../../src/core/errors.js';

const CODES = Object.keys(ERRORS) as ErrorCode[];

/** AMQP 0-9-1 §1.2 constants: the reply codes a channel.close / connection.close may carry. */
const AMQP_REPLY_CODES = new Set([
  311, 312, 313, 320, 402, 403, 404, 405, 406, 501, 502, 503, 504, 505, 506, 530, 540, 541,
]);

interface ReadmeRow {
  readonly replyCode: number;
  readonly severity: string;
}

function readmeRows(): Map<string, ReadmeRow> {
  const text = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const rows = new Map<string, ReadmeRow>();
  for (const m of text.matchAll(
    /^\|\s*`(GW_ERR_[A-Z0-9_]+)`\s*\|\s*(\d+)\s*\|\s*([a-z]+)\s*\|[^|\n]*\S[^|\n]*\|\s*$/gm,
  )) {
    const [, code, replyCode, severity] = m;
    if (code && replyCode && severity) rows.set(code, { replyCode: Number(replyCode), severity });
  }
  return rows;
}

describe('error catalogue', () => {
  it('has codes at all, each named GW_ERR_*', () => {
    expect(CODES.length).toBeGreaterThan(5);
    for (const code of CODES) expect(code).toMatch(/^GW_ERR_[A-Z][A-Z0-9_]*$/);
  });

  it.each(CODES)('%s has an AMQP 0-9-1 reply code, a severity and a description', (code) => {
    const def = ERRORS[code];
    expect(AMQP_REPLY_CODES.has(def.replyCode), `reply code ${def.replyCode}`).toBe(true);
    expect(['channel', 'connection']).toContain(def.severity);
    expect(def.description.trim().length).toBeGreaterThan(0);
  });

  it.each(CODES)('new BrokerError(%s) carries the code, reply code, severity and cause', (code) => {
    const cause = new Error('root');
    const err = new BrokerError(code, 'boom', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BrokerError');
    expect(err.message).toBe('boom');
    expect(err.code).toBe(code);
    expect(err.replyCode).toBe(ERRORS[code].replyCode);
    expect(err.severity).toBe(ERRORS[code].severity);
    expect(err.cause).toBe(cause);
    expect(isBrokerError(err)).toBe(true);
  });

  it('isBrokerError rejects other errors and non-errors', () => {
    expect(isBrokerError(new Error('x'))).toBe(false);
    expect(isBrokerError({ code: 'GW_ERR_NOT_FOUND' })).toBe(false);
    expect(isBrokerError(undefined)).toBe(false);
  });

  it('the well-known codes map to the AMQP 0-9-1 reply codes adapters rely on', () => {
    expect(ERRORS.GW_ERR_NOT_FOUND.replyCode).toBe(404);
    expect(ERRORS.GW_ERR_RESOURCE_LOCKED.replyCode).toBe(405);
    expect(ERRORS.GW_ERR_PRECONDITION_FAILED.replyCode).toBe(406);
    expect(ERRORS.GW_ERR_ACCESS_REFUSED.replyCode).toBe(403);
    expect(ERRORS.GW_ERR_NOT_ALLOWED.replyCode).toBe(530);
    expect(ERRORS.GW_ERR_INTERNAL.replyCode).toBe(541);
  });
});

describe('README.md error table', () => {
  it.each(CODES)(
    'has a row `| %s | <reply code> | <severity> | <description> |` matching the catalogue',
    (code) => {
      const row = readmeRows().get(code);
      expect(row, `README.md has no table row for ${code}`).toBeDefined();
      expect(row).toEqual({ replyCode: ERRORS[code].replyCode, severity: ERRORS[code].severity });
    },
  );

  it('documents no code that the catalogue does not have', () => {
    const unknown = [...readmeRows().keys()].filter((c) => !(c in ERRORS));
    expect(unknown).toEqual([]);
  });
});
