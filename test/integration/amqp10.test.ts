import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';
import { startAmqp10Gateway } from './helpers/amqp10-gateway.js';
import { collect, connectClient, type TestClient } from './helpers/amqp10-client.js';

let gw: TestGateway;
let port: number;
const clients: TestClient[] = [];

async function client(): Promise<TestClient> {
  const c = await connectClient(port);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  gw = await startAmqp10Gateway();
  port = gw.port('amqp10');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw.stop();
});

describe('AMQP 1.0 links to queues', () => {
  it('sends to /queues/q and receives from it, accepted after the core took it', async () => {
    const vhost = gw.gateway.broker.vhost('/');
    vhost.declareQueue({ name: 'q1' });
    const c = await client();
    const sender = await c.openSender('/queues/q1');
    const { outcome } = await c.send(sender, { body: 'hello', message_id: 'm1' });
    expect(outcome).toBe('accepted');
    const receiver = await c.openReceiver({ source: '/queues/q1', autoaccept: true });
    const [m] = await collect(receiver, 1);
    expect(m?.message?.body).toBe('hello');
    expect(m?.message?.message_id).toBe('m1');
  });
});
