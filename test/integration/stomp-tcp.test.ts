/**
 * STOMP over TCP with a raw socket: negotiation, login, heart-beats and every malformed input
 * the issue lists. Each bad input must get an ERROR frame and close only its own connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TestGateway } from './helpers/gateway.js';
import { RawStomp, waitFor, startStompGateway } from './helpers/stomp-clients.js';

let gw: TestGateway;
let port: number;
/** A client that stays connected through every error test: it must be unharmed. */
let bystander: RawStomp;

beforeAll(async () => {
  gw = await startStompGateway(
    {
      tcp: { host: '127.0.0.1', port: 0 },
      ws: { enabled: false },
      maxFrameSize: 16 * 1024,
      maxHeaders: 10,
      maxHeaderLength: 512,
      maxTransactions: 2,
      maxSubscriptions: 2,
      maxTransactionActions: 3,
      heartbeat: { sendMinMs: 50, receiveMinMs: 100, grace: 2 },
      // Logins (scrypt) can take a second when the whole suite runs on 2 cores.
      connectTimeoutMs: 2500,
    },
    {},
    { vhosts: ['/', 'other'] },
  );
  port = gw.port('stomp');
  bystander = await RawStomp.connected(port);
});

afterAll(async () => {
  bystander.destroy();
  await gw.stop();
});

function roundTrip(raw: RawStomp, receipt: string): Promise<void> {
  raw.send(`SEND\ndestination:/topic/nobody\nreceipt:${receipt}\n\n\0`);
  return raw.next().then((f) => {
    expect(f.command).toBe('RECEIPT');
    expect(f.headers.get('receipt-id')).toBe(receipt);
  });
}

describe('STOMP 1.2 CONNECT negotiation', () => {
  it('picks the highest common version and answers CONNECTED with version, server, session, heart-beat', async () => {
    const raw = await RawStomp.open(port);
    raw.send(
      'CONNECT\naccept-version:1.0,1.1\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0',
    );
    const f = await raw.next();
    expect(f.command).toBe('CONNECTED');
    expect(f.headers.get('version')).toBe('1.1');
    expect(f.headers.get('server')).toMatch(/gateway/);
    expect(f.headers.get('session')).toMatch(/^stomp-/);
    expect(f.headers.get('heart-beat')).toBe('50,100');
    raw.destroy();
  });

  it('treats a CONNECT without accept-version as STOMP 1.0 and accepts the STOMP command', async () => {
    const raw = await RawStomp.open(port);
    raw.send('CONNECT\nlogin:guest\npasscode:guest\n\n\0');
    expect((await raw.next()).headers.get('version')).toBe('1.0');
    raw.destroy();
    const raw2 = await RawStomp.open(port);
    raw2.send('STOMP\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    expect((await raw2.next()).headers.get('version')).toBe('1.2');
    raw2.destroy();
  });

  it('answers ERROR with the supported versions when none is common, then closes', async () => {
    const raw = await RawStomp.open(port);
    raw.send('CONNECT\naccept-version:2.0\nlogin:guest\npasscode:guest\n\n\0');
    const f = await raw.expectErrorAndClose();
    expect(f.headers.get('version')).toBe('1.2,1.1,1.0');
  });

  it('refuses a bad login with ERROR (receipt-id kept) and closes', async () => {
    const raw = await RawStomp.open(port);
    raw.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:wrong\nreceipt:c1\n\n\0');
    const f = await raw.expectErrorAndClose();
    expect(f.headers.get('message')).toBe('Access refused');
    expect(f.headers.get('receipt-id')).toBe('c1');
  });

  it('uses host as the vhost, falls back to the default one for other names, and refuses a vhost the user may not use', async () => {
    const named = await RawStomp.open(port);
    named.send('CONNECT\naccept-version:1.2\nhost:localhost\nlogin:guest\npasscode:guest\n\n\0');
    expect((await named.next()).command).toBe('CONNECTED');
    named.destroy();
    const other = await RawStomp.open(port);
    other.send('CONNECT\naccept-version:1.2\nhost:other\nlogin:guest\npasscode:guest\n\n\0');
    expect((await other.expectErrorAndClose()).headers.get('message')).toBe('access_refused');
  });

  it('logs in as the default user when CONNECT has no login (RabbitMQ stomp.default_user)', async () => {
    const raw = await RawStomp.open(port);
    raw.send('CONNECT\naccept-version:1.2\n\n\0');
    expect((await raw.next()).command).toBe('CONNECTED');
    raw.destroy();
  });

  it('refuses any frame before CONNECT', async () => {
    const raw = await RawStomp.open(port);
    raw.send('SEND\ndestination:/queue/x\n\n\0');
    expect((await raw.expectErrorAndClose()).headers.get('message')).toBe('Bad CONNECT');
  });

  it('closes a connection that never sends CONNECT', async () => {
    const raw = await RawStomp.open(port);
    expect((await raw.expectErrorAndClose()).headers.get('message')).toBe('Connect timeout');
  });

  it('handles frames pipelined behind CONNECT after the login', async () => {
    const raw = await RawStomp.open(port);
    raw.send(
      'CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n\0SEND\ndestination:/topic/x\nreceipt:p1\n\n\0',
    );
    expect((await raw.next()).command).toBe('CONNECTED');
    expect((await raw.next()).headers.get('receipt-id')).toBe('p1');
    raw.destroy();
  });
});

describe('STOMP 1.2 heart-beating', () => {
  it('sends EOL heart-beats at the negotiated interval', async () => {
    const raw = await RawStomp.open(port);
    raw.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\nheart-beat:0,50\n\n\0');
    expect((await raw.next()).command).toBe('CONNECTED');
    const beats = await waitFor<number>((resolve) => {
      let n = 0;
      raw.socket.on('data', (chunk: Buffer) => {
        if (chunk.toString() === '\n' && ++n === 3) resolve(n);
      });
    }, 'three heart-beats');
    expect(beats).toBe(3);
    raw.destroy();
  });

  it('keeps a client that beats and disconnects a silent one after interval x grace', async () => {
    const beating = await RawStomp.open(port);
    beating.send(
      'CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\nheart-beat:300,0\n\n\0',
    );
    const silent = await RawStomp.open(port);
    silent.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\nheart-beat:300,0\n\n\0');
    expect((await beating.next()).command).toBe('CONNECTED');
    expect((await silent.next()).command).toBe('CONNECTED');
    const timer = setInterval(() => {
      beating.send('\n');
    }, 50);
    try {
      const err = await silent.expectErrorAndClose(2000);
      expect(err.headers.get('message')).toBe('Heart-beat timeout');
      await roundTrip(beating, 'still-alive');
    } finally {
      clearInterval(timer);
      beating.destroy();
    }
  });
});

describe('STOMP ERROR for bad input, closing only that connection', () => {
  const cases: readonly (readonly [string, string | Buffer, string])[] = [
    ['unknown command', 'FLY\nreceipt:e1\n\n\0', 'Unknown command'],
    ['SEND without destination', 'SEND\nreceipt:e1\n\nbody\0', 'Missing header'],
    [
      'SUBSCRIBE without id (1.2)',
      'SUBSCRIBE\ndestination:/queue/a\nreceipt:e1\n\n\0',
      'Missing header',
    ],
    [
      'bad destination prefix',
      'SEND\ndestination:/nowhere/x\nreceipt:e1\n\n\0',
      'Invalid destination',
    ],
    [
      'topic destination with a slash',
      'SUBSCRIBE\nid:1\ndestination:/topic/a/b\nreceipt:e1\n\n\0',
      'Invalid destination',
    ],
    [
      'SEND to a missing /amq/queue/',
      'SEND\ndestination:/amq/queue/missing\nreceipt:e1\n\nx\0',
      'not_found',
    ],
    [
      'SUBSCRIBE to a missing /amq/queue/',
      'SUBSCRIBE\nid:1\ndestination:/amq/queue/missing\nreceipt:e1\n\n\0',
      'not_found',
    ],
    [
      'SUBSCRIBE to /temp-queue/',
      'SUBSCRIBE\nid:1\ndestination:/temp-queue/t\nreceipt:e1\n\n\0',
      'Invalid destination',
    ],
    ['ACK for an unknown id', 'ACK\nid:T_1@@x@@1\nreceipt:e1\n\n\0', 'Unknown ack id'],
    ['NACK without id', 'NACK\nreceipt:e1\n\n\0', 'Missing header'],
    [
      'invalid ack mode',
      'SUBSCRIBE\nid:1\ndestination:/topic/a\nack:sometimes\nreceipt:e1\n\n\0',
      'Invalid header',
    ],
    [
      'non-numeric priority',
      'SEND\ndestination:/topic/a\npriority:high\nreceipt:e1\n\n\0',
      'Invalid header',
    ],
    [
      'user-id of another user',
      'SEND\ndestination:/topic/a\nuser-id:admin\nreceipt:e1\n\n\0',
      'Invalid header',
    ],
    [
      'undefined escape \\t (STOMP 1.2 Value Encoding)',
      'SEND\ndestination:/topic/a\nx:a\\tb\n\n\0',
      'Malformed frame',
    ],
    ['header line without a colon', 'SEND\ndestination:/topic/a\nnocolon\n\n\0', 'Malformed frame'],
    [
      'too many headers',
      `SEND\ndestination:/topic/a\n${'h:v\n'.repeat(10)}\n\0`,
      'Malformed frame',
    ],
    [
      'a header over the length limit',
      `SEND\ndestination:/topic/a\nh:${'v'.repeat(600)}\n\n\0`,
      'Malformed frame',
    ],
    [
      'a frame over the size limit',
      `SEND\ndestination:/topic/a\n\n${'x'.repeat(17 * 1024)}\0`,
      'Malformed frame',
    ],
    [
      'a content-length over the size limit',
      'SEND\ndestination:/topic/a\ncontent-length:999999\n\n',
      'Malformed frame',
    ],
    [
      'a content-length that lies',
      'SEND\ndestination:/topic/a\ncontent-length:2\n\nhello\0',
      'Malformed frame',
    ],
    [
      'a second CONNECT',
      'CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n\0',
      'Already connected',
    ],
    [
      'COMMIT of an unknown transaction',
      'COMMIT\ntransaction:nope\nreceipt:e1\n\n\0',
      'Bad transaction',
    ],
    [
      'UNSUBSCRIBE of an unknown id',
      'UNSUBSCRIBE\nid:nope\nreceipt:e1\n\n\0',
      'Unknown subscription',
    ],
  ];

  let n = 0;
  it.each(cases)('%s', async (_name, input, message) => {
    const raw = await RawStomp.connected(port);
    raw.send(input);
    const f = await raw.expectErrorAndClose();
    expect(f.headers.get('message')).toBe(message);
    if (typeof input === 'string' && input.includes('receipt:e1'))
      expect(f.headers.get('receipt-id')).toBe('e1');
    expect(f.headers.get('content-type')).toBe('text/plain');
    expect(f.body.length).toBeGreaterThan(0);
    await roundTrip(bystander, `after-${++n}`);
  });

  it('limits open transactions and frames per transaction', async () => {
    const raw = await RawStomp.connected(port);
    raw.send(
      'BEGIN\ntransaction:a\n\n\0BEGIN\ntransaction:b\n\n\0BEGIN\ntransaction:c\nreceipt:e1\n\n\0',
    );
    expect((await raw.expectErrorAndClose()).headers.get('message')).toBe('Too many transactions');
    const raw2 = await RawStomp.connected(port);
    const send = 'SEND\ndestination:/topic/a\ntransaction:a\n\nx\0';
    raw2.send(`BEGIN\ntransaction:a\n\n\0${send.repeat(4)}`);
    expect((await raw2.expectErrorAndClose()).headers.get('message')).toBe('Transaction too large');
  });

  it('limits subscriptions per connection, implicit /temp-queue/ ones included', async () => {
    const subscribe = (id: string): string => `SUBSCRIBE\nid:${id}\ndestination:/topic/lim\n\n\0`;
    const raw = await RawStomp.connected(port);
    raw.send(subscribe('a') + subscribe('b') + subscribe('c'));
    expect((await raw.expectErrorAndClose()).headers.get('message')).toBe('Too many subscriptions');
    const raw2 = await RawStomp.connected(port);
    raw2.send(subscribe('a') + subscribe('b'));
    raw2.send('SEND\ndestination:/topic/x\nreply-to:/temp-queue/r\n\n\0');
    expect((await raw2.expectErrorAndClose()).headers.get('message')).toBe(
      'Too many subscriptions',
    );
  });

  it('keeps a message whose RECEIPT was sent even when the connection fails right after', async () => {
    const raw = await RawStomp.connected(port);
    raw.send('SEND\ndestination:/queue/kept\npersistent:true\nreceipt:k1\n\nkeep me\0');
    expect((await raw.next()).headers.get('receipt-id')).toBe('k1');
    raw.send('FLY\n\n\0');
    await raw.expectErrorAndClose();
    expect(gw.gateway.broker.vhost('/').queueInfo('kept')?.messageCount).toBe(1);
  });
});

describe('robustness', () => {
  const command = fc.constantFrom(
    'SEND',
    'SUBSCRIBE',
    'UNSUBSCRIBE',
    'ACK',
    'NACK',
    'BEGIN',
    'COMMIT',
    'ABORT',
    'CONNECT',
    'X',
  );
  const header = fc.tuple(
    fc.constantFrom(
      'destination',
      'id',
      'ack',
      'receipt',
      'transaction',
      'content-length',
      'prefetch-count',
      'reply-to',
      'durable',
      'auto-delete',
      'x-max-length',
      'priority',
      'persistent',
      'message-id',
      'x',
    ),
    fc.constantFrom(
      '/topic/a.*',
      '/queue/fz',
      '/amq/queue/fz',
      '/exchange/amq.direct/k',
      '/temp-queue/t',
      '/reply-queue/fz',
      'client',
      'auto',
      'true',
      'false',
      '0',
      '3',
      '-1',
      't1',
      'T_1@@x@@1',
      '\\c',
      '',
    ),
  );
  const frame = fc
    .tuple(command, fc.array(header, { maxLength: 5 }), fc.string({ maxLength: 8 }))
    .map(([c, hs, body]) => `${c}\n${hs.map(([k, v]) => `${k}:${v}`).join('\n')}\n\n${body}\0`);
  const inputs = fc.sample(fc.array(frame, { minLength: 1, maxLength: 6 }), {
    numRuns: 25,
    seed: 7,
  });

  it('random frame sequences never harm the gateway or other clients', async () => {
    for (const frames of inputs) {
      const raw = await RawStomp.connected(port);
      raw.send(frames.join('') + 'SEND\ndestination:/topic/fz\nreceipt:end\n\n\0');
      // Either the sequence ends in our receipt or the server answered ERROR and closed.
      for (;;) {
        const f = await raw.next();
        if (f.command === 'ERROR') {
          await raw.closed;
          break;
        }
        if (f.headers.get('receipt-id') === 'end') break;
      }
      raw.destroy();
    }
    await roundTrip(bystander, 'after-fuzz');
  });
});
