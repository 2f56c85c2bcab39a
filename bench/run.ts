/**
 * `npm run bench [-- [--quick] [--anchors] [name...]]`: runs bench/<name>.ts files (default:
 * all of them; lib-* are helpers). Each exports `run(ctx): Promise<BenchRow[]>` and may print
 * its own detail; the rows of all of them make one Markdown table, printed and written with
 * the raw rows to bench/results/<timestamp>.md and .json. `--anchors` (or BENCH_ANCHORS=1)
 * also starts Mosquitto and RabbitMQ where a scenario can use them.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopSharedBrokers, type BenchContext } from './lib-driver.js';
import { fmt, lossNote, type BenchRow } from './lib-measure.js';
import { killAll } from './lib-proc.js';

type Scenario = { run(ctx: BenchContext): Promise<BenchRow[]> };

const here = new URL('.', import.meta.url);

/** The bench files run.ts can run, in a stable order. */
export function availableScenarios(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('lib-'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** "gateway is N x better": msgs/s over the anchor's at full rate, the anchor's p99 over the
 * gateway's at a fixed rate. Blank on the gateway's own rows. */
function ratio(row: BenchRow, rows: readonly BenchRow[]): string {
  if (row.broker === 'gateway' || row.msgsPerSec === undefined) return '';
  const gw = rows.find(
    (r) => r.group === row.group && r.scenario === row.scenario && r.broker === 'gateway',
  );
  if (!gw?.msgsPerSec || !row.msgsPerSec) return '';
  // a broker that lost messages has no rate to compare
  if ([gw, row].some((r) => lossNote(r)?.startsWith('lost'))) return '';
  if (row.rate === 0) return `${(gw.msgsPerSec / row.msgsPerSec).toFixed(2)}x`;
  return gw.p99 && row.p99 ? `p99 ${(row.p99 / gw.p99).toFixed(2)}x` : '';
}

const num = (v: number | undefined, digits = 2): string =>
  v === undefined ? '' : v.toFixed(digits);

export function markdown(rows: readonly BenchRow[]): string {
  const head =
    '| group | scenario | broker | msgs/s | p50 ms | p99 ms | p999 ms | broker RSS MiB | broker CPU us/msg | gateway vs anchor | note |';
  const body = rows.map((r) =>
    [
      r.group,
      r.scenario,
      r.broker,
      r.msgsPerSec === undefined ? '' : fmt(r.msgsPerSec),
      num(r.p50),
      num(r.p99),
      num(r.p999),
      r.rssMiB === undefined ? '' : fmt(r.rssMiB),
      num(r.cpuUsPerMsg, 1),
      ratio(r, rows),
      [lossNote(r), r.note].filter(Boolean).join('; '),
    ]
      .map((c) => c.replaceAll('|', '\\|'))
      .join(' | '),
  );
  return [head, `|${'---|'.repeat(11)}`, ...body.map((b) => `| ${b} |`)].join('\n') + '\n';
}

export async function runSuite(
  names: readonly string[],
  ctx: BenchContext,
  resultsDir = fileURLToPath(new URL('results/', here)),
): Promise<{ rows: BenchRow[]; files: string[] }> {
  const rows: BenchRow[] = [];
  try {
    for (const name of names) {
      const mod = (await import(new URL(`${name}.ts`, here).href)) as Scenario;
      process.stdout.write(`\n== ${name} ==\n`);
      const start = Date.now();
      try {
        rows.push(...(await mod.run(ctx)));
        process.stdout.write(`(${name}: ${((Date.now() - start) / 1000).toFixed(0)} s)\n`);
      } catch (err) {
        // one broken group must not cost the rest of a 15-minute run
        const note = `failed: ${err instanceof Error ? err.message : String(err)}`;
        process.stderr.write(`${name}: ${note}\n`);
        rows.push({ group: name, scenario: 'all', broker: '-', rate: 0, note });
      }
    }
  } finally {
    await stopSharedBrokers();
  }
  const table = markdown(rows);
  process.stdout.write(`\n${table}`);
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\..*/, '');
  const base = join(resultsDir, stamp);
  const title = `# npm run bench ${ctx.quick ? '--quick ' : ''}${ctx.anchors ? '--anchors ' : ''}(${new Date().toISOString()})\n\n`;
  writeFileSync(`${base}.md`, title + table);
  writeFileSync(`${base}.json`, `${JSON.stringify({ ctx, rows }, null, 2)}\n`);
  return { rows, files: [`${base}.md`, `${base}.json`] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const env = process.env['BENCH_ANCHORS'];
  const ctx: BenchContext = {
    quick: args.includes('--quick'),
    anchors: args.includes('--anchors') || (env !== undefined && env !== '' && env !== '0'),
  };
  const available = availableScenarios();
  const wanted = args.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length) {
    process.stderr.write(
      `unknown scenario '${unknown.join(', ')}'; available: ${available.join(', ')}\n`,
    );
    process.exit(2);
  }
  try {
    const { files } = await runSuite(wanted.length ? wanted : available, ctx);
    process.stdout.write(`\nwritten: ${files.join(', ')}\n`);
  } finally {
    killAll();
  }
  process.exit(0);
}
