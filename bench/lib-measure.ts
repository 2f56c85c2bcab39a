/** Shared measuring helpers and the one row shape every scenario returns to bench/run.ts. */
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

/** Latency percentiles (ms) of one run's samples; sorts them in place. */
export function percentiles(samples: Float64Array): { p50: number; p99: number; p999: number } {
  samples.sort();
  const n = samples.length;
  const pct = (p: number): number => samples[Math.min(n - 1, Math.floor(n * p))] ?? 0;
  return { p50: pct(0.5), p99: pct(0.99), p999: pct(0.999) };
}

/** What a consuming client process reports. */
export interface DeliveryResult {
  readonly delivered: number;
  readonly expected: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  /** The run was cut at its time cap before every message arrived. */
  readonly capped?: boolean;
}

/** One line of the suite's table. `broker` is `gateway` or an anchor; `rate` is the offered
 * load (msgs/s) for fixed-rate rows, 0 for full-rate ones. Absent figures are not measured. */
export interface BenchRow {
  readonly group: string;
  readonly scenario: string;
  readonly broker: string;
  readonly rate: number;
  readonly delivered?: number;
  readonly expected?: number;
  readonly msgsPerSec?: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly p999?: number;
  /** Broker RSS after the run, MiB. */
  readonly rssMiB?: number;
  /** Broker CPU time per delivered message, microseconds. */
  readonly cpuUsPerMsg?: number;
  /** Cut at the time cap: `delivered < expected` is not a loss. */
  readonly capped?: boolean;
  /** A figure the columns above do not hold, or why the row has no numbers. */
  readonly note?: string;
}

/** A row from a consumer's result and the broker's CPU time (us) and RSS (bytes) over it. */
export function deliveryRow(
  base: Pick<BenchRow, 'group' | 'scenario' | 'broker' | 'rate'>,
  r: DeliveryResult,
  cpuMicros: number,
  rss: number,
): BenchRow {
  return {
    ...base,
    delivered: r.delivered,
    expected: r.expected,
    msgsPerSec: r.seconds > 0 ? r.delivered / r.seconds : 0,
    p50: r.p50,
    p99: r.p99,
    p999: r.p999,
    rssMiB: rss / 2 ** 20,
    cpuUsPerMsg: r.delivered > 0 ? cpuMicros / r.delivered : 0,
    ...(r.capped ? { capped: true } : {}),
  };
}

/** Rows as a terminal table (the per-scenario detail each bench file prints). */
export function printRows(rows: readonly BenchRow[]): void {
  printTable(
    rows.map((r) => ({
      scenario: r.scenario,
      broker: r.broker,
      'msgs/s': r.msgsPerSec === undefined ? '-' : fmt(r.msgsPerSec),
      'p50 ms': r.p50?.toFixed(2) ?? '-',
      'p99 ms': r.p99?.toFixed(2) ?? '-',
      'p999 ms': r.p999?.toFixed(2) ?? '-',
      'us/msg': r.cpuUsPerMsg?.toFixed(1) ?? '-',
      'rss MiB': r.rssMiB === undefined ? '-' : fmt(r.rssMiB),
      note: lossNote(r) ?? r.note ?? '',
    })),
  );
}

/** "lost N of M" when a consumer got fewer messages than were sent; for a run cut at its
 * time cap, how many arrived by then. */
export function lossNote(r: BenchRow): string | undefined {
  if (r.delivered === undefined || r.expected === undefined || r.delivered >= r.expected) {
    return undefined;
  }
  if (r.capped) return `cut at the time cap: ${fmt(r.delivered)} of ${fmt(r.expected)} delivered`;
  return `lost ${fmt(r.expected - r.delivered)} of ${fmt(r.expected)}`;
}
