/**
 * STOMP over WebSocket (RabbitMQ Web STOMP): the same processor as TCP behind `/ws`, with the
 * `v1x.stomp` subprotocols, text and binary messages, frames batched or split across messages,
 * and the Origin allow-list.
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Client } from '@stomp/stompjs';
import type { TestGateway } from './helpers/gateway.js';
import {
  connectStomp,
  hdr,
  MessageQueue,
  waitFor,
  type StompTransport,
  startStompGateway,
} from './helpers/stomp-clients.js';

const ORIGIN = 'http://allowed.test';
let gw: TestGateway;
let url: string;
let transport: StompTransport;
const clients: Client[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  gw = await startStompGateway({
    tcp: { enabled: false },
    ws: { host: '127.0.0.1', port: 0, allowOrigins: [ORIGIN], useHttpAuth: true },
    // A wide grace: the machine is shared and timers can run late.
    heartbeat: { sendMinMs: 50, receiveMinMs: 50, grace: 4 },
  });
  url = `ws://127.0.0.1:${gw.port('stomp', 'ws')}/ws`;
  transport = { kind: 'ws', url, origin: ORIGIN };
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(clients.splice(0).map((c) => c.deactivate()));
});

afterAll(async () => {
  await gw.stop();
});

async function client(): Promise<Client> {
  const { client: c } = await connectStomp(transport);
  clients.push(c);
  return c;
}

interface RawMessage {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** A bare WebSocket: what it sends is exactly what the server gets, message by message. */
async function rawWs(
  protocols: string[] = ['v12.stomp'],
  origin = ORIGIN,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; next: () => Promise<RawMessage> }> {
  const ws = new WebSocket(url, protocols, { origin, headers });
  sockets.push(ws);
  const queue: RawMessage[] = [];
  let waiter: ((m: RawMessage) => void) | undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const m = { data, isBinary };
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(m);
    } else queue.push(m);
  });
  ws.on('error', () => undefined);
  await once(ws, 'open');
  const next = (): Promise<RawMessage> => {
    const ready = queue.shift();
    if (ready) return Promise.resolve(ready);
    return waitFor<RawMessage>((resolve) => {
      waiter = resolve;
    }, 'WebSocket message');
  };
  return { ws, next };
}

const CONNECT = 'CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0';

describe('Web STOMP transport', () => {
  it('round-trips with @stomp/stompjs over the v12.stomp subprotocol', async () => {
    const c = await client();
    const q = new MessageQueue();
    c.subscribe('/topic/ws.hello', q.push);
    const receipt = 'ws-r1';
    const done = waitFor<undefined>((resolve) => {
      c.watchForReceipt(receipt, () => {
        resolve(undefined);
      });
    }, 'receipt');
    c.publish({ destination: '/topic/ws.hello', body: 'hi from ws', headers: hdr({ receipt }) });
    await done;
    const m = await q.next();
    expect(m.body).toBe('hi from ws');
    expect(m.headers.destination).toBe('/topic/ws.hello');
  });

  it('heart-beats both ways with stompjs (STOMP 1.2 Heart-beating)', async () => {
    const pongs = waitFor<number>((resolve) => {
      let n = 0;
      void connectStomp(transport, {
        heartbeatIncoming: 100,
        heartbeatOutgoing: 100,
        debug: (line) => {
          if (line === '<<< PONG' && ++n === 5) resolve(n);
        },
      }).then(({ client: c }) => clients.push(c));
    }, 'five server heart-beats');
    expect(await pongs).toBe(5);
    const c = clients[clients.length - 1];
    expect(c?.connected).toBe(true);
  });

  it('negotiates the subprotocol the client offers and refuses foreign ones', async () => {
    const { ws } = await rawWs(['v11.stomp']);
    expect(ws.protocol).toBe('v11.stomp');
    const refused = new WebSocket(url, ['mqtt'], { origin: ORIGIN });
    // Only foreign subprotocols offered: the upgrade is refused with 400 (RFC 6455 4.2.2).
    const status = waitFor<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
      });
    }, 'handshake refusal');
    refused.on('error', () => undefined);
    expect(await status).toBe(400);
    refused.terminate();
  });

  it('accepts several frames in one message and one frame split over several, text or binary', async () => {
    const { ws, next } = await rawWs();
    ws.send(CONNECT + 'SUBSCRIBE\nid:s\ndestination:/queue/ws-split\n\n\0');
    expect((await next()).data.toString()).toMatch(/^CONNECTED\n/);
    const frame = Buffer.from(
      'SEND\ndestination:/queue/ws-split\ncontent-type:text/plain\n\nsplit body\0',
    );
    ws.send(frame.subarray(0, 7), { binary: true });
    ws.send(frame.subarray(7, 30), { binary: false });
    ws.send(frame.subarray(30), { binary: true });
    const m = await next();
    expect(m.data.toString()).toMatch(/^MESSAGE\n/);
    expect(m.data.toString()).toContain('\n\nsplit body\0');
  });

  it('sends UTF-8 frames as text messages and other bodies as binary messages (frameType auto)', async () => {
    const { ws, next } = await rawWs();
    ws.send(CONNECT + 'SUBSCRIBE\nid:s\ndestination:/queue/ws-bin\n\n\0');
    expect((await next()).isBinary).toBe(false);
    ws.send(
      Buffer.concat([
        Buffer.from('SEND\ndestination:/queue/ws-bin\ncontent-length:3\n\n'),
        Buffer.from([0xff, 0x00, 0xfe]),
        Buffer.from([0]),
      ]),
    );
    const bin = await next();
    expect(bin.isBinary).toBe(true);
    expect(bin.data.subarray(-4)).toEqual(Buffer.from([0xff, 0x00, 0xfe, 0x00]));
    ws.send('SEND\ndestination:/queue/ws-bin\n\nt\u00e9xt\0');
    expect((await next()).isBinary).toBe(false);
  });

  it('delivers binary bodies to stompjs intact', async () => {
    const c = await client();
    const q = new MessageQueue();
    c.subscribe('/queue/ws-binary', q.push);
    c.publish({ destination: '/queue/ws-binary', binaryBody: new Uint8Array([0, 255, 0, 128]) });
    expect(Array.from((await q.next()).binaryBody)).toEqual([0, 255, 0, 128]);
  });

  it('answers bad input with ERROR and closes only that WebSocket', async () => {
    const { ws, next } = await rawWs();
    ws.send(CONNECT);
    await next();
    const closed = once(ws, 'close');
    ws.send('BOGUS\n\n\0');
    expect((await next()).data.toString()).toMatch(/^ERROR\nmessage:Unknown command\n/);
    await closed;
    const c = await client();
    expect(c.connected).toBe(true);
  });

  it('logs in with the upgrade Authorization: Basic header when useHttpAuth is on', async () => {
    const basic = (userPass: string) => ({
      authorization: `Basic ${Buffer.from(userPass).toString('base64')}`,
    });
    const good = await rawWs(['v12.stomp'], ORIGIN, basic('guest:guest'));
    good.ws.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:wrong\n\n\0');
    expect((await good.next()).data.toString()).toMatch(/^CONNECTED\n/);
    const bad = await rawWs(['v12.stomp'], ORIGIN, basic('guest:wrong'));
    bad.ws.send(CONNECT);
    expect((await bad.next()).data.toString()).toMatch(/^ERROR\nmessage:Access refused\n/);
  });

  it('refuses an upgrade from an Origin outside the allow-list', async () => {
    const ws = new WebSocket(url, ['v12.stomp'], { origin: 'http://evil.test' });
    const status = waitFor<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
      });
    }, 'refusal');
    ws.on('error', () => undefined);
    expect(await status).toBe(403);
    ws.terminate();
  });
});
