/** AMQP 0-9-1 forced close: a management close sends connection.close 320 CONNECTION_FORCED
 * with the reason, as RabbitMQ does; other connections stay. */
import { connect } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { nextEvent } from './helpers/amqp091-client.js';
import { startTestGateway } from './helpers/gateway.js';

describe('AMQP 0-9-1 320 CONNECTION_FORCED', () => {
  it('closes one connection from the management API', async () => {
    const gw = await startTestGateway();
    const url = `amqp://127.0.0.1:${gw.port('amqp091')}`;
    const a = await connect(url);
    const b = await connect(url);
    a.on('error', () => undefined);
    b.on('error', () => undefined);
    const aClosed = nextEvent<Error | undefined>(a, 'close');
    const bClosed = nextEvent<Error | undefined>(b, 'close');
    const list = (await (
      await fetch(`${gw.managementUrl}/api/connections`, { headers: auth })
    ).json()) as {
      id: string;
      protocol: string;
    }[];
    const ours = list.filter((c) => c.protocol === 'amqp091');
    expect(ours).toHaveLength(2);
    const res = await fetch(
      `${gw.managementUrl}/api/connections/${encodeURIComponent(ours[0]?.id ?? '')}`,
      {
        method: 'DELETE',
        headers: auth,
      },
    );
    expect(res.status).toBe(204);
    const first = await Promise.race([aClosed, bClosed]);
    expect(String(first)).toMatch(/320.*closed via the management API/);
    const survivor = (
      await Promise.race([aClosed.then(() => b), bClosed.then(() => a)])
    ).createChannel();
    await expect(survivor).resolves.toBeDefined();
    await gw.stop();
  });
});

const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
