/**
 * AMQP 0-9-1 authorization hooks where RabbitMQ checks them: configure to declare, write to
 * publish (with topic permissions on the routing key), read to consume; a refused operation
 * closes the channel with 403 ACCESS_REFUSED, a refused vhost the connection with 530.
 */
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import { nextEvent } from './helpers/amqp091-client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
let app: ChannelModel;

beforeAll(async () => {
  gw = await startTestGateway({
    vhosts: ['/', 'other'],
    auth: {
      users: [
        {
          username: 'app',
          passwordHash: await hashPassword('pw', 1024),
          permissions: [
            {
              vhost: '/',
              configure: '^app-',
              write: '^(app-|amq\\.topic$)',
              read: '^(app-|amq\\.topic$)',
            },
          ],
          topicPermissions: [
            { vhost: '/', exchange: 'amq.topic', write: '^sensors\\.', read: '.*' },
          ],
        },
        { username: 'outsider', passwordHash: await hashPassword('pw', 1024), vhosts: ['other'] },
      ],
    },
  });
  app = await connect(`amqp://app:pw@127.0.0.1:${gw.port('amqp091')}`);
});

afterAll(async () => {
  await app.close();
  await gw.stop();
});

async function refused(op: (ch: Channel) => unknown): Promise<string> {
  const ch = await app.createChannel();
  ch.on('error', () => undefined);
  const closed = nextEvent<Error>(ch, 'error');
  try {
    await op(ch);
  } catch {
    // the operation's promise rejects as the channel closes
  }
  return String(await closed);
}

describe('AMQP 0-9-1 permissions (RabbitMQ access control)', () => {
  it('allows what the user may configure, write and read', async () => {
    const ch = await app.createChannel();
    await ch.assertQueue('app-q', { exclusive: true });
    await ch.bindQueue('app-q', 'amq.topic', 'sensors.#');
    ch.publish('amq.topic', 'sensors.t', Buffer.from('ok'));
    await ch.checkQueue('app-q');
    const m = await ch.get('app-q', { noAck: true });
    expect(m && m.content.toString()).toBe('ok');
    await ch.close();
  });

  it('403 ACCESS_REFUSED for declaring a queue outside the configure pattern', async () => {
    expect(await refused((ch) => ch.assertQueue('other-q'))).toMatch(/403/);
  });

  it('403 ACCESS_REFUSED for a server-named queue when amq.gen-* may not be configured', async () => {
    expect(await refused((ch) => ch.assertQueue('', { exclusive: true }))).toMatch(
      /403.*amq\.gen-/,
    );
    expect(
      gw.gateway.broker
        .vhost('/')
        .listQueues()
        .some((q) => q.name.startsWith('amq.gen-')),
    ).toBe(false);
  });

  it('403 ACCESS_REFUSED for publishing with a routing key outside the topic permission', async () => {
    expect(await refused((ch) => ch.publish('amq.topic', 'alarms.fire', Buffer.from('x')))).toMatch(
      /403/,
    );
  });

  it('403 ACCESS_REFUSED for consuming from a queue outside the read pattern', async () => {
    expect(await refused((ch) => ch.consume('private-q', () => undefined))).toMatch(/403/);
  });

  it('530 NOT_ALLOWED for a vhost the user has no access to', async () => {
    await expect(connect(`amqp://outsider:pw@127.0.0.1:${gw.port('amqp091')}/`)).rejects.toThrow();
    const ok = await connect(`amqp://outsider:pw@127.0.0.1:${gw.port('amqp091')}/other`);
    await ok.close();
  });
});
