/**
 * A real browser: Debian's Chromium (never a downloaded one) runs examples/browser with the
 * bundled @stomp/stompjs over WebSocket. An MQTT client publishes, the page receives; the page
 * SENDs, an AMQP 0-9-1 consumer receives. Skipped only when /usr/bin/chromium is missing (CI
 * installs it with apt-get).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import mqtt from 'mqtt';
import amqplib from 'amqplib';
import type { TestGateway } from './helpers/gateway.js';
import { startStompGateway, waitFor } from './helpers/stomp-clients.js';

const CHROMIUM = '/usr/bin/chromium';
const EXAMPLE_DIR = path.resolve(import.meta.dirname, '../../examples/browser');
// The `require` export of @stomp/stompjs is bundles/stomp.umd.js; the minified UMD sits beside it.
const STOMPJS_UMD = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@stomp/stompjs')),
  'stomp.umd.min.js',
);

/** The page and the stompjs bundle, from the test's own HTTP server. */
const FILES: Readonly<Record<string, readonly [string, string]>> = {
  '/index.html': [path.join(EXAMPLE_DIR, 'index.html'), 'text/html'],
  '/app.js': [path.join(EXAMPLE_DIR, 'app.js'), 'text/javascript'],
  '/vendor/stomp.umd.min.js': [STOMPJS_UMD, 'text/javascript'],
};

interface DemoState {
  readonly connected: boolean;
  readonly received: readonly { readonly body: string; readonly headers: Record<string, string> }[];
  readonly errors: readonly string[];
}
declare const demo: DemoState & { send(body: string): void };

describe.skipIf(!existsSync(CHROMIUM))('STOMP over WebSocket in headless Chromium', () => {
  let gw: TestGateway;
  let server: http.Server;
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    gw = await startStompGateway(
      { tcp: { enabled: false }, ws: { host: '127.0.0.1', port: 0 } },
      { mqtt: true, amqp091: true },
    );
    server = http.createServer((req, res) => {
      const file = FILES[new URL(req.url ?? '/', 'http://x').pathname];
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      readFile(file[0]).then(
        (body) => res.writeHead(200, { 'content-type': file[1] }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    userDataDir = await mkdtemp(path.join(tmpdir(), 'stomp-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    const httpPort = (server.address() as { port: number }).port;
    const ws = `ws://127.0.0.1:${gw.port('stomp', 'ws')}/ws`;
    await page.goto(`http://127.0.0.1:${httpPort}/index.html?ws=${encodeURIComponent(ws)}`);
    await page.waitForFunction(() => demo.connected, undefined, { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
    server.close();
    await gw.stop();
  });

  it('receives in the page what an MQTT client publishes to browser/in', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port('mqtt')}`, {
      reconnectPeriod: 0,
    });
    try {
      await client.publishAsync('browser/in', 'from an MQTT device', { qos: 1 });
      await page.waitForFunction(() => demo.received.length > 0, undefined, { timeout: 10_000 });
      const received = await page.evaluate(() => demo.received[0]);
      expect(received?.body).toBe('from an MQTT device');
      expect(received?.headers.destination).toBe('/topic/browser.in');
    } finally {
      await client.endAsync();
    }
  });

  it('delivers what the page SENDs to an AMQP 0-9-1 consumer', async () => {
    const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, 'amq.topic', 'browser.out');
      const got = waitFor<amqplib.ConsumeMessage>((resolve) => {
        void ch.consume(queue, (m) => {
          if (m) resolve(m);
        });
      }, 'AMQP delivery');
      await page.evaluate(() => {
        demo.send('from the browser');
      });
      const m = await got;
      expect(m.content.toString()).toBe('from the browser');
      expect(m.fields.routingKey).toBe('browser.out');
      expect(m.properties.contentType).toBe('text/plain');
      expect(await page.evaluate(() => demo.errors)).toEqual([]);
    } finally {
      await conn.close();
    }
  });
});
