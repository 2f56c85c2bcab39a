import { describe, expect, it } from 'vitest';
import { InflightWindow } from '../../../../adapters/mqtt/inflight-window.js';

const client = (): object => ({});

describe('InflightWindow', () => {
  it('sends up to the limit, then one per acknowledgement, in order', () => {
    const w = new InflightWindow<object>(2, 10);
    const c = client();
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) expect(w.submit(c, () => sent.push(i))).toBe(true);
    expect(sent).toEqual([0, 1]);
    w.acked(c);
    expect(sent).toEqual([0, 1, 2]);
    w.acked(c);
    w.acked(c);
    expect(sent).toEqual([0, 1, 2, 3, 4]);
  });

  it('drops beyond the wait limit', () => {
    const w = new InflightWindow<object>(1, 2);
    const c = client();
    expect([1, 2, 3, 4].map((i) => w.submit(c, () => i))).toEqual([true, true, true, false]);
  });

  it('frees a slot on an acknowledgement of an uncounted send, never below zero', () => {
    const w = new InflightWindow<object>(1, 10);
    const c = client();
    w.acked(c);
    w.acked(c);
    const sent: number[] = [];
    w.submit(c, () => sent.push(1));
    w.submit(c, () => sent.push(2));
    expect(sent).toEqual([1]);
  });

  it('keeps clients apart and stays ordered over many compactions', () => {
    const w = new InflightWindow<object>(1, 100_000);
    const a = client();
    const b = client();
    const sent: number[] = [];
    for (let i = 0; i < 5000; i++) w.submit(a, () => sent.push(i));
    expect(w.submit(b, () => sent.push(-1))).toBe(true);
    for (let i = 0; i < 4999; i++) w.acked(a);
    expect(sent.filter((x) => x >= 0)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
