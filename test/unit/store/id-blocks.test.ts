import { describe, expect, it } from 'vitest';
import { IdBlocks } from '../../../src/store/id-blocks.js';

/** An INCRBY counter answering on the next macrotask, like a network round trip. */
function counter(): { reserve: (n: number) => Promise<number>; readonly calls: number[] } {
  let value = 0;
  const calls: number[] = [];
  return {
    calls,
    reserve: (n) =>
      new Promise((resolve) => {
        calls.push(n);
        setImmediate(() => {
          value += n;
          resolve(value);
        });
      }),
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('id blocks', () => {
  it('hands out increasing ids across blocks, reserving the next one before the current runs out', async () => {
    const c = counter();
    const ids = new IdBlocks(c.reserve, 8);
    await ids.init();
    const got: number[] = [];
    for (let i = 0; i < 100; i++) {
      got.push(ids.next());
      await turn();
    }
    expect(got.every((id, i) => i === 0 || id > (got[i - 1] ?? Infinity))).toBe(true);
    expect(new Set(got).size).toBe(100);
    // Refills came much faster than one a second: the block grew.
    expect(ids.blockSize).toBeGreaterThan(8);
    expect(c.calls.length).toBeLessThan(100 / 8);
  });

  it('throws GW_ERR_STORE_UNAVAILABLE when the counter stops answering and the block runs dry', async () => {
    let up = true;
    const ids = new IdBlocks(async (n) => {
      if (!up) throw new Error('connection refused');
      return n;
    }, 4);
    await ids.init();
    up = false;
    const got: number[] = [];
    expect(() => {
      for (let i = 0; i < 10; i++) got.push(ids.next());
    }).toThrow(expect.objectContaining({ code: 'GW_ERR_STORE_UNAVAILABLE' }));
    expect(got).toEqual([1, 2, 3, 4]);
  });
});
