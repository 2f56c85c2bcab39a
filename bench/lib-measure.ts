/** Shared measuring helpers for the benchmarks. */
export interface Rate {
  readonly ops: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Runs `fn` in rounds until at least `minMs` passed; returns ops per second. */
export function measure(fn: (round: number) => number, minMs = 500): Rate {
  const start = process.hrtime.bigint();
  let ops = 0;
  let round = 0;
  let elapsed = 0;
  while (elapsed < minMs) {
    ops += fn(round++);
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const seconds = elapsed / 1000;
  return { ops, seconds, perSecond: ops / seconds };
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function printTable(rows: readonly Record<string, string>[]): void {
  const first = rows[0];
  if (!first) return;
  const cols = Object.keys(first);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((s, i) => s.padStart(width[i] ?? 0)).join('  ');
  process.stdout.write(`${line(cols)}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => r[c] ?? ''))}\n`);
}
