import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { webSocketDuplex } from '../../../../adapters/stomp/ws-duplex.js';
import type { StompOptions } from '../../../../adapters/stomp/options.js';

const servers: WebSocketServer[] = [];

afterEach(() => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    s.close();
  }
});

/** A real WebSocket pair on loopback: the server side wrapped as the adapter wraps it. */
async function pair(
  frameType: StompOptions['ws']['frameType'],
): Promise<{ duplex: Duplex; client: WebSocket }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(server);
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  client.on('error', () => undefined);
  const [ws] = await accepted;
  await once(client, 'open');
  const duplex = webSocketDuplex(ws, frameType);
  duplex.on('error', () => undefined);
  return { duplex, client };
}

function nextMessage(client: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    client.once('message', (data: Buffer, isBinary: boolean) => {
      resolve({ data, isBinary });
    });
  });
}

describe('WebSocket as a STOMP byte stream (Web STOMP)', () => {
  it.each([
    ['auto', Buffer.from('MESSAGE\n\nt\u00e9xt\0'), false],
    ['auto', Buffer.from([0x4d, 0xff, 0x00]), true],
    ['text', Buffer.from('MESSAGE\n\nx\0'), false],
    ['binary', Buffer.from('MESSAGE\n\nx\0'), true],
  ] as const)('frameType %s sends %j as binary=%s', async (frameType, bytes, binary) => {
    const { duplex, client } = await pair(frameType);
    const got = nextMessage(client);
    duplex.write(bytes);
    const m = await got;
    expect(m.isBinary).toBe(binary);
    expect(m.data).toEqual(bytes);
  });

  it('sends corked writes as one message', async () => {
    const { duplex, client } = await pair('auto');
    const got = nextMessage(client);
    duplex.cork();
    duplex.write(Buffer.from('A\n\n\0'));
    duplex.write(Buffer.from('B\n\n\0'));
    duplex.uncork();
    expect((await got).data.toString()).toBe('A\n\n\0B\n\n\0');
  });

  it('reads text and binary messages as bytes, and ends when the peer closes', async () => {
    const { duplex, client } = await pair('auto');
    const chunks: Buffer[] = [];
    duplex.on('data', (c: Buffer) => chunks.push(c));
    const closed = once(duplex, 'close');
    client.send('text ', { binary: false });
    client.send(Buffer.from('binary'), { binary: true });
    client.close();
    await closed;
    expect(Buffer.concat(chunks).toString()).toBe('text binary');
  });

  it('closes the WebSocket with 1000 when the stream ends', async () => {
    const { duplex, client } = await pair('auto');
    const closed = once(client, 'close') as Promise<[number]>;
    duplex.end();
    const [code] = await closed;
    expect(code).toBe(1000);
  });
});
