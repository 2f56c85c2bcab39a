import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';
import { startAmqp10Gateway } from './helpers/amqp10-gateway.js';
import { connectClient } from './helpers/amqp10-client.js';

let gw: TestGateway;
let port: number;

beforeAll(async () => {
  gw = await startAmqp10Gateway({ allowAnonymous: true });
  port = gw.port('amqp10');
});

afterAll(async () => {
  await gw.stop();
});

describe('AMQP 1.0 SASL ANONYMOUS when allowAnonymous is set', () => {
  it('ANONYMOUS logs in as the configured anonymous user', async () => {
    const c = await connectClient(port, { username: 'anonymous', password: undefined });
    const q = 'anon-q';
    gw.gateway.broker.vhost('/').declareQueue({ name: q });
    const sender = await c.openSender(`/queues/${q}`);
    expect((await c.send(sender, { body: 'hi' })).outcome).toBe('accepted');
    await c.close();
  });

  it('PLAIN is still checked: a bad password is refused', async () => {
    await expect(connectClient(port, { password: 'wrong' })).rejects.toThrow(/unauthorized-access/);
  });
});
