import net from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';
import { startAmqp10Gateway } from './helpers/amqp10-gateway.js';
import {
  collect,
  connectClient,
  dataBody,
  next,
  type TestClient,
} from './helpers/amqp10-client.js';

const MAX_FRAME = 4096;
const MAX_MESSAGE = 12_000;
let gw: TestGateway;
let port: number;
let bystander: TestClient;
const clients: TestClient[] = [];

const SASL_HEADER = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');
const AMQP_HEADER = Buffer.from('AMQP\x00\x01\x00\x00', 'latin1');

async function client(opts = {}): Promise<TestClient> {
  const c = await connectClient(port, opts);
  clients.push(c);
  return c;
}

/** The rhea client's socket, to put raw bytes on an authenticated, open connection. */
function socketOf(c: TestClient): Socket {
  return (c.connection as unknown as { socket: Socket }).socket;
}

/** A raw frame: size, doff 2, type 0 (AMQP), channel, body. */
function rawFrame(channel: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header[4] = 2;
  header.writeUInt16BE(channel, 6);
  return Buffer.concat([header, body]);
}

/** The condition the client got when the server closed the connection. */
async function closedWith(c: TestClient): Promise<string | undefined> {
  const ctx = await next(c.connection, 'connection_error');
  return (ctx.connection.error as { condition?: string } | undefined)?.condition;
}

/** Raw TCP: write `bytes`, collect everything until the server closes. */
function rawExchange(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server did not close; got ${Buffer.concat(chunks).toString('latin1')}`));
    }, 5000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** The bystander connection still sends and receives: a bad peer harmed only itself. */
async function bystanderWorks(): Promise<void> {
  const q = `bystander-${Math.random().toString(36).slice(2)}`;
  gw.gateway.broker.vhost('/').declareQueue({ name: q });
  const receiver = await bystander.openReceiver(`/queues/${q}`);
  const sender = await bystander.openSender(`/queues/${q}`);
  const got = collect(receiver, 1);
  expect((await bystander.send(sender, { body: 'alive' })).outcome).toBe('accepted');
  await got;
}

beforeAll(async () => {
  gw = await startAmqp10Gateway({
    maxFrameSize: MAX_FRAME,
    maxMessageSize: MAX_MESSAGE,
    handshakeTimeoutMs: 1000,
    idleTimeoutMs: 600,
  });
  port = gw.port('amqp10');
  bystander = await client();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw.stop();
});

describe('AMQP 1.0 SASL (AMQP 1.0 5.3)', () => {
  it('PLAIN with a bad password gets sasl-outcome auth and the socket closed, not a hang', async () => {
    await expect(connectClient(port, { password: 'wrong' })).rejects.toThrow(/unauthorized-access/);
    await bystanderWorks();
  });

  it('ANONYMOUS is not offered unless allowAnonymous: only PLAIN in sasl-server-mechanisms', async () => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(SASL_HEADER));
    socket.on('error', () => undefined);
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        chunks.push(d);
        if (Buffer.concat(chunks).includes('PLAIN')) resolve();
      });
    });
    socket.destroy();
    const reply = Buffer.concat(chunks);
    expect(reply.subarray(0, 8)).toEqual(SASL_HEADER);
    expect(reply.includes('ANONYMOUS')).toBe(false);
    await expect(
      connectClient(port, { username: 'anonymous', password: undefined }),
    ).rejects.toThrow();
  });

  it('a plain AMQP header without SASL is answered with AMQP 3 1 0 0 and closed (5.3.1)', async () => {
    expect(await rawExchange(AMQP_HEADER)).toEqual(SASL_HEADER);
  });

  it('a client that stalls during the handshake is disconnected (handshakeTimeoutMs)', async () => {
    const reply = await rawExchange(SASL_HEADER);
    expect(reply.subarray(0, 8)).toEqual(SASL_HEADER);
  });
});

describe('AMQP 1.0 bad input: a clear error, other connections unharmed', () => {
  it('garbage after the protocol header closes only that connection', async () => {
    const reply = await rawExchange(
      Buffer.concat([SASL_HEADER, Buffer.from('garbage garbage garbage')]),
    );
    expect(reply.subarray(0, 8)).toEqual(SASL_HEADER);
    await bystanderWorks();
  });

  it('a frame that does not decode after open: close with amqp:decode-error', async () => {
    const c = await client();
    const closed = closedWith(c);
    socketOf(c).write(rawFrame(0, Buffer.from([0x00, 0x53, 0x10, 0xff, 0xff, 0xff])));
    expect(await closed).toMatch(/^amqp:(decode-error|connection:framing-error)$/);
    await bystanderWorks();
  });

  it('a frame over max-frame-size: close with amqp:connection:framing-error (AMQP 1.0 2.7.1)', async () => {
    const c = await client();
    expect(c.connection.max_frame_size).toBe(MAX_FRAME);
    const closed = closedWith(c);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(MAX_FRAME + 1, 0);
    header[4] = 2;
    socketOf(c).write(header);
    expect(await closed).toBe('amqp:connection:framing-error');
    await bystanderWorks();
  });

  it('a transfer on an unattached handle ends that session with amqp:session:unattached-handle (2.8.16)', async () => {
    const c = await client();
    const q = `uh-${Math.random().toString(36).slice(2)}`;
    gw.gateway.broker.vhost('/').declareQueue({ name: q });
    const sender = await c.openSender(`/queues/${q}`);
    const sessionEnded = next(sender.session, 'session_error');
    // transfer(handle=99, delivery-id=0, delivery-tag="1") on the session's channel 0.
    const transfer = Buffer.from([
      0x00, 0x53, 0x14, 0xc0, 0x07, 0x03, 0x52, 0x63, 0x43, 0xa0, 0x01, 0x31,
    ]);
    socketOf(c).write(rawFrame(0, transfer));
    const ctx = await sessionEnded;
    expect((ctx.session?.error as { condition?: string } | undefined)?.condition).toBe(
      'amqp:session:unattached-handle',
    );
    // The connection survives: a new session works.
    const session = c.connection.create_session();
    session.begin();
    const again = session.open_sender(`/queues/${q}`);
    await next(again, 'sendable');
    expect((await c.send(again, { body: 'after' })).outcome).toBe('accepted');
    await bystanderWorks();
  });

  it('messages larger than max-frame-size travel as multi-frame transfers both ways', async () => {
    const c = await client();
    const q = `big-${Math.random().toString(36).slice(2)}`;
    gw.gateway.broker.vhost('/').declareQueue({ name: q });
    const sender = await c.openSender(`/queues/${q}`);
    const body = Buffer.alloc(MAX_FRAME * 2, 7);
    expect((await c.send(sender, { body: body.toString('base64') })).outcome).toBe('accepted');
    const receiver = await c.openReceiver(`/queues/${q}`);
    const [m] = await collect(receiver, 1);
    expect(m?.message?.body).toBe(body.toString('base64'));
  });
  it('a message over max-message-size (announced in our attach): amqp:link:message-size-exceeded', async () => {
    const c = await client();
    const q = `huge-${Math.random().toString(36).slice(2)}`;
    gw.gateway.broker.vhost('/').declareQueue({ name: q });
    const sender = await c.openSender(`/queues/${q}`);
    expect(sender.max_message_size).toBe(MAX_MESSAGE);
    const closed = closedWith(c);
    sender.send({ body: dataBody(Buffer.alloc(MAX_MESSAGE + 1)) });
    expect(await closed).toBe('amqp:link:message-size-exceeded');
    expect(gw.gateway.broker.vhost('/').queueInfo(q)?.messageCount).toBe(0);
    await bystanderWorks();
  });
});

describe('AMQP 1.0 idle timeout (AMQP 1.0 2.4.5)', () => {
  it('announces idle-time-out, heartbeats a client that asked for them, keeps a heartbeating client', async () => {
    const c = await client({ idle_time_out: 100 });
    expect(c.connection.idle_time_out).toBe(600);
    // Empty frames from us every 50 ms; after 30 of them (over two of our timeouts) the
    // client, heartbeating at half our timeout, is still connected.
    await new Promise<void>((resolve, reject) => {
      let beats = 0;
      socketOf(c).on('data', () => {
        if (++beats === 30) resolve();
      });
      c.connection.once('disconnected', () => {
        reject(new Error(`disconnected after ${beats} heartbeats`));
      });
    });
    const q = `hb-${Math.random().toString(36).slice(2)}`;
    gw.gateway.broker.vhost('/').declareQueue({ name: q });
    const sender = await c.openSender(`/queues/${q}`);
    expect((await c.send(sender, { body: 'still here' })).outcome).toBe('accepted');
  });

  it('closes a silent client with amqp:resource-limit-exceeded', async () => {
    const c = await client();
    const closed = closedWith(c);
    // Swallow the client's heartbeats: the gateway hears nothing.
    socketOf(c).write = () => true;
    expect(await closed).toBe('amqp:resource-limit-exceeded');
  });
});
