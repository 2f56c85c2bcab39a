/**
 * Connection limits (issue 8): a cap per source address, enforced before any protocol byte on
 * every listener that uses the gateway's connection gate.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionGate } from '../../src/transport/connection-gate.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const AMQP_091_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ limits: { maxConnectionsPerIp: 2 } });
});
afterAll(async () => {
  await gw.stop();
});

/** Opens a socket and says AMQP 0-9-1; resolves 'served' when connection.start arrives,
 * 'refused' when the gateway closes it first. */
async function tryAmqp(sockets: net.Socket[]): Promise<'served' | 'refused'> {
  const s = net.connect({ host: '127.0.0.1', port: gw.port('amqp091') });
  s.on('error', () => undefined);
  sockets.push(s);
  await once(s, 'connect');
  s.write(AMQP_091_HEADER);
  return Promise.race([
    once(s, 'data').then(() => 'served' as const),
    once(s, 'close').then(() => 'refused' as const),
  ]);
}

describe('connection limits', () => {
  it('limits.maxConnectionsPerIp: the third connection from one address is closed; a slot frees on close', async () => {
    const sockets: net.Socket[] = [];
    try {
      expect(await tryAmqp(sockets)).toBe('served');
      expect(await tryAmqp(sockets)).toBe('served');
      expect(await tryAmqp(sockets)).toBe('refused');
      const first = sockets[0] as net.Socket;
      first.destroy();
      await once(first, 'close');
      // The gateway sees the close asynchronously: retry until the slot is free.
      let outcome = await tryAmqp(sockets);
      for (let i = 0; outcome === 'refused' && i < 50; i++) outcome = await tryAmqp(sockets);
      expect(outcome).toBe('served');
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe('ConnectionGate', () => {
  it('counts globally and per address, and releases once', () => {
    const gate = new ConnectionGate({ maxConnections: 3, maxConnectionsPerIp: 2 });
    const a1 = gate.admit('10.0.0.1');
    const a2 = gate.admit('10.0.0.1');
    expect(gate.admit('10.0.0.1')).toBeUndefined();
    const b1 = gate.admit('10.0.0.2');
    expect(gate.admit('10.0.0.3')).toBeUndefined(); // global cap
    a1?.();
    a1?.(); // a second release changes nothing
    expect(gate.open).toBe(2);
    expect(gate.admit('10.0.0.1')).toBeDefined();
    expect([a2, b1].every((r) => r !== undefined)).toBe(true);
  });

  it('0 means no cap', () => {
    const gate = new ConnectionGate({ maxConnections: 0, maxConnectionsPerIp: 0 });
    for (let i = 0; i < 1000; i++) expect(gate.admit('10.0.0.1')).toBeDefined();
  });
});
