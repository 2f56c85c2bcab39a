import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../../src/auth/password.js';
import { StaticUsers } from '../../../src/auth/static-users.js';
import { ConfigError, envOverrides, loadConfig } from '../../../src/config/load.js';
import { gatewayConfigSchema } from '../../../src/config/schema.js';
import { createGateway } from '../../../src/gateway.js';
import type { ConnectionInfo } from '../../../src/spi.js';

const conn: ConnectionInfo = {
  id: 'c1',
  protocol: 'amqp091',
  transport: 'tcp',
  remoteAddress: '127.0.0.1',
  remotePort: 1,
  localPort: 2,
};

describe('config', () => {
  it('config/default.json lists every option with its schema default (regenerate: gateway print-defaults)', () => {
    const file: unknown = JSON.parse(
      readFileSync(new URL('../../../config/default.json', import.meta.url), 'utf8'),
    );
    expect(file).toEqual(gatewayConfigSchema.parse({}));
  });

  it('GATEWAY_* variables override nested keys, camelCased, JSON-typed', () => {
    expect(
      envOverrides({
        GATEWAY_LIMITS__MAX_ROUTING_KEY_WORDS: '12',
        GATEWAY_LOG__LEVEL: 'debug',
        GATEWAY_VHOSTS: '["/","dev"]',
        OTHER: 'x',
      }),
    ).toEqual({
      limits: { maxRoutingKeyWords: 12 },
      log: { level: 'debug' },
      vhosts: ['/', 'dev'],
    });
  });

  it('the environment wins over defaults and the result is validated', async () => {
    const config = await loadConfig(undefined, { GATEWAY_LIMITS__TOPIC_CACHE_SIZE: '7' });
    expect(config.limits.topicCacheSize).toBe(7);
    expect(config.amqp.port).toBe(5672);
  });

  it('reports every problem with its path', async () => {
    const err = await loadConfig(undefined, {
      GATEWAY_AMQP__PORT: '70000',
      GATEWAY_LOG__LEVEL: 'loud',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^amqp\.port: /m);
    expect(problems).toMatch(/^log\.level: /m);
  });

  it('TLS needs a certificate and a key when enabled', () => {
    const r = gatewayConfigSchema.safeParse({ tls: { enabled: true } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/certFile and keyFile are required/);
  });

  it('certificate login needs verified client certificates (requestClientCert and caFile)', () => {
    const tls = { enabled: true, certFile: 'c', keyFile: 'k', certLogin: true };
    const r = gatewayConfigSchema.safeParse({ tls });
    expect(r.error?.issues).toMatchObject([
      { path: ['tls', 'certLogin'], message: 'certLogin needs requestClientCert and a caFile' },
    ]);
    const ok = { ...tls, requestClientCert: true, caFile: 'ca' };
    expect(gatewayConfigSchema.safeParse({ tls: ok }).success).toBe(true);
  });

  it('refuses unknown top-level keys (a typo must not be silently ignored)', () => {
    expect(gatewayConfigSchema.safeParse({ limitz: {} }).success).toBe(false);
  });
});

describe('users', () => {
  it('scrypt hashes verify only the right password', async () => {
    const hash = await hashPassword('s3cret', 1024);
    expect(hash).toMatch(/^scrypt\$1024\$/);
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('S3cret', hash)).toBe(false);
  });

  it('the default guest/guest user logs in; a wrong password or user is refused', async () => {
    const users = new StaticUsers(gatewayConfigSchema.parse({}).auth.users);
    await expect(
      users.authenticate({ username: 'guest', password: 'guest' }, conn),
    ).resolves.toEqual({
      username: 'guest',
      vhosts: ['/'],
      tags: ['administrator'],
    });
    await expect(
      users.authenticate({ username: 'guest', password: 'nope' }, conn),
    ).rejects.toMatchObject({
      code: 'GW_ERR_AUTHENTICATION_FAILED',
    });
    await expect(
      users.authenticate({ username: 'nobody', password: 'guest' }, conn),
    ).rejects.toMatchObject({
      code: 'GW_ERR_AUTHENTICATION_FAILED',
    });
  });
});

describe('gateway', () => {
  it('starts and stops with every adapter disabled, and says it listens nowhere', async () => {
    const protocols = Object.fromEntries(
      Object.keys(gatewayConfigSchema.parse({}).protocols).map((p) => [p, { enabled: false }]),
    );
    const gw = createGateway({
      log: { level: 'silent' },
      store: { type: 'memory' },
      management: { enabled: false },
      protocols,
    });
    const { addresses } = await gw.start();
    expect(addresses).toEqual([]);
    expect(gw.broker.vhost('/').exchangeExists('amq.topic')).toBe(true);
    await gw.stop();
  });
});
