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

/** What a consuming client process reports. */
export interface DeliveryResult {
  readonly delivered: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

/** One table row: throughput, latency percentiles, broker CPU per delivered message (the fair
 * figure when the clients, not the broker, limit the rate) and broker RSS. */
export function deliveryRow(
  scenario: string,
  r: DeliveryResult,
  cpu: NodeJS.CpuUsage,
): Record<string, string> {
  return {
    scenario,
    'msgs/s': fmt(r.delivered / r.seconds),
    'p50 ms': r.p50.toFixed(2),
    'p99 ms': r.p99.toFixed(2),
    'p999 ms': r.p999.toFixed(2),
    'broker cpu us/msg': ((cpu.user + cpu.system) / r.delivered).toFixed(2),
    'rss MiB': fmt(process.memoryUsage().rss / 2 ** 20),
  };
}
