/**
 * Crash safety (issue 9): a gateway child process on SQLite is SIGKILLed while a publisher with
 * confirms and an acking consumer run. After a restart on the same data directory every
 * confirmed message is delivered at least once, and no message whose ack the store had
 * committed comes back.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type ConfirmChannel } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { killGatewayChild as killed, startGatewayChild } from './helpers/gateway-child.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startChild(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const { child, amqp: port } = await startGatewayChild(dataDir);
  children.push(child);
  return { child, port };
}

const QUEUE = 'crash';
const SYNC_QUEUE = 'crash-sync';

async function runUntilKill(port: number, child: ChildProcess, killAfterConfirms: number) {
  const confirmed = new Set<number>();
  const acked = new Set<number>();
  const durablyAcked = new Set<number>();
  const pub = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
  const sub = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
  for (const c of [pub, sub]) c.on('error', () => undefined);
  const pch = await pub.createConfirmChannel();
  const sch: ConfirmChannel = await sub.createConfirmChannel();
  for (const ch of [pch, sch]) ch.on('error', () => undefined);
  await pch.assertQueue(QUEUE, { durable: true });
  await pch.assertQueue(SYNC_QUEUE, { durable: true });
  await sch.prefetch(50);
  let pendingAcks: number[] = [];
  await sch.consume(QUEUE, (m) => {
    if (!m) return;
    sch.ack(m);
    const id = Number(m.content.toString());
    acked.add(id);
    pendingAcks.push(id);
    if (pendingAcks.length < 20) return;
    // A confirmed publish on the same channel after the acks: the server handled the acks
    // first, and the store commits in order, so these acks are durable once it is confirmed.
    const batch = pendingAcks;
    pendingAcks = [];
    sch.publish('', SYNC_QUEUE, Buffer.from('sync'), { persistent: true }, (err) => {
      if (!err) for (const n of batch) durablyAcked.add(n);
    });
  });
  const dead = new Promise<void>((resolve) => {
    // At most WINDOW unconfirmed publishes, so the kill lands near `killAfterConfirms`.
    const WINDOW = 200;
    let n = 0;
    const publishMore = (): void => {
      while (n - confirmed.size < WINDOW && child.exitCode === null && child.signalCode === null) {
        const id = n++;
        pch.publish('', QUEUE, Buffer.from(String(id)), { persistent: true }, (err) => {
          if (err) return;
          confirmed.add(id);
          if (confirmed.size === killAfterConfirms) resolve(killed(child));
          else setImmediate(publishMore);
        });
      }
    };
    publishMore();
  });
  await dead;
  return { confirmed, acked, durablyAcked };
}

async function drainAll(port: number): Promise<number[]> {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
  const ch = await conn.createChannel();
  const out: number[] = [];
  for (;;) {
    const m = await ch.get(QUEUE, { noAck: true });
    if (m === false) break;
    out.push(Number(m.content.toString()));
  }
  await ch.purgeQueue(SYNC_QUEUE);
  await conn.close();
  return out;
}

describe('crash safety (SIGKILL, SQLite)', () => {
  it.each([150, 600, 1500])(
    'after a kill at %i confirms: every confirmed message comes back at least once, no durably acked one does',
    async (killAt) => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-crash-'));
      dirs.push(dir);
      const first = await startChild(dir);
      const { confirmed, acked, durablyAcked } = await runUntilKill(
        first.port,
        first.child,
        killAt,
      );
      expect(confirmed.size).toBeGreaterThanOrEqual(killAt);
      expect(acked.size).toBeGreaterThan(0);

      const second = await startChild(dir);
      const recovered = new Set(await drainAll(second.port));
      await killed(second.child);

      // An ack the server may not have stored yet lets its message come back or not: both are
      // fine. A confirmed message never acked must come back.
      const lost = [...confirmed].filter((id) => !recovered.has(id) && !acked.has(id));
      const resurrected = [...durablyAcked].filter((id) => recovered.has(id));
      expect(lost).toEqual([]);
      expect(resurrected).toEqual([]);
    },
    60_000,
  );
});
