/**
 * STOMP with the SQLite store: a RECEIPT means the core has the message, and for a persistent
 * message to a durable queue that the store committed it (DESIGN: nothing acknowledged is
 * lost). The gateway is stopped without grace and restarted on the same data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawStomp, startStompGateway } from './helpers/stomp-clients.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'stomp-durable-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () =>
  startStompGateway(
    { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
    {},
    {
      dataDir,
      store: { type: 'sqlite', synchronous: 'normal' },
    },
  );

describe('STOMP RECEIPT with a durable store', () => {
  it('keeps receipted persistent messages and durable subscriptions across a restart', async () => {
    const durable = 'id:d1\ndurable:true\nauto-delete:false\n';
    const first = await start();
    const raw = await RawStomp.connected(first.port('stomp'));
    raw.send(`SUBSCRIBE\ndestination:/topic/durable.news\n${durable}receipt:sub\n\n\0`);
    expect((await raw.next()).headers.get('receipt-id')).toBe('sub');
    raw.send('DISCONNECT\nreceipt:bye\n\n\0');
    expect((await raw.next()).headers.get('receipt-id')).toBe('bye');
    const pub = await RawStomp.connected(first.port('stomp'));
    for (let i = 0; i < 10; i++) {
      pub.send(`SEND\ndestination:/queue/stomp-durable\npersistent:true\nreceipt:q${i}\n\nm${i}\0`);
    }
    pub.send('SEND\ndestination:/topic/durable.news\npersistent:true\nreceipt:t\n\nwhile away\0');
    const receipts = [];
    for (let i = 0; i < 11; i++) receipts.push((await pub.next()).headers.get('receipt-id'));
    expect(receipts.sort()).toEqual([
      'q0',
      'q1',
      'q2',
      'q3',
      'q4',
      'q5',
      'q6',
      'q7',
      'q8',
      'q9',
      't',
    ]);
    pub.destroy();
    await first.stop();

    const second = await start();
    try {
      const sub = await RawStomp.connected(second.port('stomp'));
      sub.send('SUBSCRIBE\nid:q\ndestination:/queue/stomp-durable\n\n\0');
      const bodies = [];
      for (let i = 0; i < 10; i++) {
        const m = await sub.next();
        expect(m.headers.get('persistent')).toBe('true');
        bodies.push(m.body.toString());
      }
      expect(bodies).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      sub.send(`SUBSCRIBE\ndestination:/topic/durable.news\n${durable}\n\0`);
      expect((await sub.next()).body.toString()).toBe('while away');
      sub.destroy();
    } finally {
      await second.stop();
    }
  });
});

describe('STOMP on a graceful gateway stop', () => {
  it('tells each client with ERROR connection_forced before closing', async () => {
    const gw = await startStompGateway({
      tcp: { host: '127.0.0.1', port: 0 },
      ws: { enabled: false },
    });
    const raw = await RawStomp.connected(gw.port('stomp'));
    const stopped = gw.gateway.stop({ graceful: true });
    const err = await raw.expectErrorAndClose();
    expect(err.headers.get('message')).toBe('connection_forced');
    await stopped;
  });
});
