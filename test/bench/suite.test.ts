/**
 * Smoke test of the benchmark suite machinery (bench/run.ts): real numbers come back and the
 * results are written. No timing is asserted: performance is measured by `npm run bench`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BenchRow } from '../../bench/lib-measure.js';
import { runSuite } from '../../bench/run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

describe('bench suite', () => {
  it('`--quick core` (queue part) returns a msgs/s figure and writes the same rows as Markdown and JSON', async () => {
    vi.stubEnv('BENCH_CORE', 'queue');
    const { rows, files } = await runSuite(['core'], { quick: true, anchors: false }, dir);
    expect(rows.map((r) => r.scenario)).toContain('enqueue -> deliver -> ack, prefetch 100');
    expect(rows.length).toBe(1);
    for (const r of rows) {
      expect(r.group).toBe('core');
      expect(r.msgsPerSec).toBeGreaterThan(0);
    }
    const [md, json] = files;
    const table = readFileSync(md ?? '', 'utf8');
    for (const r of rows) expect(table).toContain(`| core | ${r.scenario} | gateway |`);
    const saved = JSON.parse(readFileSync(json ?? '', 'utf8')) as { rows: BenchRow[] };
    expect(saved.rows).toEqual(rows);
  });
});
