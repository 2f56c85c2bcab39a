/**
 * STOMP 1.2 bench clients: @stomp/stompjs over `ws` (what a browser app runs), and raw frames
 * over WebSocket or TCP for many sessions in one process or a publisher that only writes.
 */
import net from 'node:net';
import { once } from 'node:events';
import { Client, StompHeaders, type IMessage } from '@stomp/stompjs';
import WebSocket from 'ws';
import type { Endpoints } from './lib-brokers.js';
import { BODY_SIZE, sentAt } from './lib-flow.js';
import type { Arrive, CloseAll, Publisher, PubSide, SubSide } from './lib-flow.js';

const CONNECT =
  'CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0';
/** A stompjs publisher asks for a RECEIPT every this many SENDs and waits for it: STOMP's own
 * flow control (ws has no drain event to wait on). */
const RECEIPT_EVERY = 500;

// ------------------------------------------------------------------ stompjs over WebSocket

/** stompjs wants StompHeaders instances, not object literals. */
const headers = (values: Readonly<Record<string, string>>): StompHeaders =>
  Object.assign(new StompHeaders(), values);

function stompjs(ep: Endpoints): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.webSocketFactory = () => new WebSocket(ep.stompWs ?? '', ['v12.stomp']);
    client.connectHeaders = headers({ login: 'guest', passcode: 'guest' });
    client.heartbeatIncoming = 0;
    client.heartbeatOutgoing = 0;
    client.reconnectDelay = 0;
    client.onConnect = () => {
      resolve(client);
    };
    client.onStompError = (f) => {
      reject(new Error(`STOMP ERROR ${f.headers['message'] ?? ''}`));
    };
    client.onWebSocketError = () => {
      reject(new Error(`WebSocket error on ${ep.stompWs ?? ''}`));
    };
    client.activate();
  });
}

/** SENDs with a receipt, resolved when it comes back. */
function sendWithReceipt(
  client: Client,
  destination: string,
  body: string,
  id: string,
): Promise<void> {
  return new Promise((resolve) => {
    client.watchForReceipt(id, () => {
      resolve();
    });
    client.publish({ destination, body, headers: headers({ receipt: id }) });
  });
}

// ------------------------------------------------------------------ raw frames

/** A STOMP session's receive side, as a callback per incoming chunk. */
type OnData = (data: Buffer) => void;

async function openWs(url: string, onData: OnData | undefined, extra: string): Promise<() => void> {
  const ws = new WebSocket(url, ['v12.stomp']);
  ws.on('error', (err) => {
    process.stderr.write(`ws error: ${err.message}\n`);
  });
  await once(ws, 'open');
  const connected = once(ws, 'message');
  ws.send(CONNECT + extra);
  await connected;
  if (onData) ws.on('message', onData);
  return () => {
    ws.terminate();
  };
}

async function openTcp(
  port: number,
  onData: OnData | undefined,
  extra: string,
): Promise<() => void> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', (err) => {
    process.stderr.write(`tcp error: ${err.message}\n`);
  });
  await once(socket, 'connect');
  socket.write(CONNECT + extra);
  const [first] = (await once(socket, 'data')) as [Buffer];
  // The CONNECTED frame ends at the first NUL; anything after it is already MESSAGE data.
  const rest = first.subarray(first.indexOf(0) + 1);
  if (onData) {
    if (rest.length > 0) onData(rest);
    socket.on('data', onData);
  }
  return () => {
    socket.destroy();
  };
}

/** Opens `n` STOMP sessions; `extra` frames (a SUBSCRIBE) follow each CONNECT. */
export async function openSessions(
  ep: Endpoints,
  transport: 'ws' | 'tcp',
  n: number,
  onData?: () => OnData,
  extra = '',
): Promise<(() => void)[]> {
  const closers: (() => void)[] = [];
  // Batches keep the accept queue and the login (scrypt) load bounded.
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, async () => {
      const handler = onData?.();
      closers.push(
        transport === 'ws'
          ? await openWs(ep.stompWs ?? '', handler, extra)
          : await openTcp(ep.stomp ?? 0, handler, extra),
      );
    });
    await Promise.all(batch);
  }
  return closers;
}

/** Bodies have no NUL, so each NUL ends a MESSAGE frame whose last BODY_SIZE bytes are the
 * body. A chunk may hold several frames or part of one. */
function frameCounter(arrive: Arrive): () => OnData {
  return () => {
    let carry: Buffer = Buffer.alloc(0);
    return (chunk) => {
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let last = -1;
      for (let end = data.indexOf(0); end !== -1; end = data.indexOf(0, end + 1)) {
        arrive(sentAt(data.subarray(end - BODY_SIZE, end)));
        last = end;
      }
      carry = data.subarray(last + 1);
    };
  };
}

// ------------------------------------------------------------------ the two sides

export async function stompSubscribe(
  ep: Endpoints,
  side: Extract<SubSide, { protocol: 'stomp' }>,
  arrive: Arrive,
): Promise<CloseAll> {
  if (side.client === 'raw') {
    const closers = await openSessions(
      ep,
      side.transport,
      side.connections,
      frameCounter(arrive),
      `SUBSCRIBE\nid:s\ndestination:${side.destination}\n\n\0`,
    );
    return () => {
      for (const close of closers) close();
      return Promise.resolve();
    };
  }
  const clients = await Promise.all(Array.from({ length: side.connections }, () => stompjs(ep)));
  for (const [i, c] of clients.entries()) {
    c.subscribe(side.destination, (m: IMessage) => {
      arrive(sentAt(Buffer.from(m.binaryBody)));
    });
    // a receipt for the last SUBSCRIBE tells the subscription is in place before any SEND
    if (i === clients.length - 1) await sendWithReceipt(c, '/topic/bench.warmup', '', 'sub-ready');
  }
  return async () => {
    await Promise.all(clients.map((c) => c.deactivate()));
  };
}

export async function stompPublisher(
  ep: Endpoints,
  side: Extract<PubSide, { protocol: 'stomp' }>,
): Promise<Publisher> {
  if (side.client === 'raw') {
    const socket = net.connect({ port: ep.stomp ?? 0, host: '127.0.0.1', noDelay: true });
    socket.on('error', (err) => {
      process.stderr.write(`publisher error: ${err.message}\n`);
    });
    await once(socket, 'connect');
    socket.write(CONNECT);
    await once(socket, 'data');
    const head = Buffer.from(
      `SEND\ndestination:${side.destination}\ncontent-length:${BODY_SIZE}\n\n`,
    );
    const nul = Buffer.from([0]);
    return {
      send: (body) =>
        socket.write(Buffer.concat([head, body, nul]))
          ? undefined
          : once(socket, 'drain').then(() => undefined),
      async close() {
        socket.write('DISCONNECT\nreceipt:bye\n\n\0');
        await once(socket, 'close');
      },
    };
  }
  const client = await stompjs(ep);
  let sent = 0;
  return {
    send(body) {
      const text = body.toString('latin1');
      if (++sent % RECEIPT_EVERY !== 0) {
        client.publish({ destination: side.destination, body: text });
        return undefined;
      }
      return sendWithReceipt(client, side.destination, text, `r${String(sent)}`);
    },
    async close() {
      await sendWithReceipt(client, side.destination + '.end', '', 'last');
      await client.deactivate();
    },
  };
}
