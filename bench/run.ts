/**
 * `npm run bench -- <scenario...>`: runs bench/<scenario>.ts files (default: all of them).
 * Each exports `run(): Promise<void>` and prints its own table.
 */
import { readdirSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('lib-'))
  .map((f) => f.slice(0, -3));
const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : available) {
  if (!available.includes(name)) {
    process.stderr.write(`unknown scenario '${name}'; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
  const mod = (await import(new URL(`${name}.ts`, here).href)) as { run(): Promise<void> };
  process.stdout.write(`\n== ${name} ==\n`);
  await mod.run();
}
