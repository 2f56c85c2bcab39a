import { describe, expect, it } from 'vitest';
import { mqttFilterCovers, mqttTopicMatches } from '../../../src/auth/mqtt-filter.js';
import { PermissionAuthorizer } from '../../../src/auth/permissions.js';
import { userSchema, type UserConfig } from '../../../src/config/schema.js';
import type { z } from 'zod';
import type { Permission, Principal, Resource } from '../../../src/spi.js';

const HASH = 'scrypt$1024$c2FsdA==$aGFzaA==';
const user = (u: Omit<z.input<typeof userSchema>, 'passwordHash'>): UserConfig =>
  userSchema.parse({ passwordHash: HASH, ...u });

const authz = new PermissionAuthorizer([
  user({ username: 'admin' }),
  user({
    username: 'app',
    vhosts: ['/', 'prod'],
    permissions: [
      { vhost: 'prod', configure: '^app\\.', write: '^(app\\.|amq\\.default$)', read: '^app\\.' },
    ],
  }),
  user({
    username: 'device',
    topicPermissions: [
      {
        exchange: 'amq.topic',
        mqttWrite: 'devices/{client_id}/#',
        mqttRead: 'commands/{client_id}/#',
        write: '^devices\\.',
      },
    ],
  }),
  user({
    username: 'reader',
    topicPermissions: [{ exchange: 'amq.topic', read: '^public\\.', write: '^$' }],
  }),
]);

function allowed(p: Principal, perm: Permission, res: Resource): boolean {
  try {
    authz.check(p, perm, res);
    return true;
  } catch (err) {
    expect(err).toMatchObject({ code: 'GW_ERR_ACCESS_REFUSED' });
    return false;
  }
}

const q = (name: string, vhost = '/'): Resource => ({ vhost, kind: 'queue', name });
const x = (name: string, extra: Partial<Resource> = {}, vhost = '/'): Resource => ({
  vhost,
  kind: 'exchange',
  name,
  ...extra,
});

describe('RabbitMQ permissions: configure / write / read regexps per vhost', () => {
  it('a user without an entry for a vhost it may use has full permissions there', () => {
    expect(allowed({ username: 'admin' }, 'configure', q('anything'))).toBe(true);
    expect(allowed({ username: 'app' }, 'configure', q('anything'))).toBe(true);
  });

  it('a vhost the user may not use is refused whatever the name', () => {
    expect(allowed({ username: 'admin' }, 'read', q('x', 'prod'))).toBe(false);
    expect(allowed({ username: 'nobody' }, 'read', q('x'))).toBe(false);
  });

  it('the regexps decide per operation (unanchored unless the rule anchors)', () => {
    const app = { username: 'app' };
    expect(allowed(app, 'configure', q('app.jobs', 'prod'))).toBe(true);
    expect(allowed(app, 'configure', q('other.jobs', 'prod'))).toBe(false);
    expect(allowed(app, 'read', q('app.jobs', 'prod'))).toBe(true);
    expect(allowed(app, 'write', x('app.events', {}, 'prod'))).toBe(true);
    expect(allowed(app, 'write', x('amq.topic', {}, 'prod'))).toBe(false);
  });

  it('the default exchange is checked under the name amq.default', () => {
    expect(allowed({ username: 'app' }, 'write', x('', {}, 'prod'))).toBe(true);
  });
});

describe('topic permissions', () => {
  it('AMQP rules are regexps on routing keys (RabbitMQ)', () => {
    const r = { username: 'reader' };
    expect(allowed(r, 'read', x('amq.topic', { routingKey: 'public.news' }))).toBe(true);
    expect(allowed(r, 'read', x('amq.topic', { routingKey: 'private.news' }))).toBe(false);
    expect(allowed(r, 'write', x('amq.topic', { routingKey: 'public.news' }))).toBe(false);
    // Other exchanges carry no topic rule.
    expect(allowed(r, 'write', x('amq.direct', { routingKey: 'private.news' }))).toBe(true);
  });

  it('MQTT rules apply to MQTT topics as written, with {client_id}', () => {
    const d = { username: 'device', clientId: 'dev-7' };
    expect(
      allowed(
        d,
        'write',
        x('amq.topic', { routingKey: 'devices.dev-7.temp', topic: 'devices/dev-7/temp' }),
      ),
    ).toBe(true);
    expect(
      allowed(
        d,
        'write',
        x('amq.topic', { routingKey: 'devices.dev-8.temp', topic: 'devices/dev-8/temp' }),
      ),
    ).toBe(false);
    // a '.' inside an MQTT level does not fool the check: it is one level
    expect(
      allowed(
        d,
        'write',
        x('amq.topic', { routingKey: 'devices.dev%2E7', topic: 'devices/dev.7' }),
      ),
    ).toBe(false);
    expect(
      allowed(
        d,
        'read',
        x('amq.topic', { routingKey: 'commands.dev-7.#', topic: 'commands/dev-7/#' }),
      ),
    ).toBe(true);
    expect(
      allowed(
        d,
        'read',
        x('amq.topic', { routingKey: 'commands.*.reboot', topic: 'commands/+/reboot' }),
      ),
    ).toBe(false);
  });

  it('non-MQTT clients of the same user are held to the regexp form', () => {
    const d = { username: 'device' };
    expect(allowed(d, 'write', x('amq.topic', { routingKey: 'devices.any' }))).toBe(true);
    expect(allowed(d, 'write', x('amq.topic', { routingKey: 'other.any' }))).toBe(false);
  });
});

describe('MQTT filter helpers [MQTT-4.7.1]', () => {
  it.each([
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['+/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['#', 'x/y', true],
  ])('%s matches %s: %s', (filter, topic, want) => {
    expect(mqttTopicMatches(filter, topic)).toBe(want);
  });

  it.each([
    ['a/#', 'a/+/c', true],
    ['a/#', 'a/#', true],
    ['a/+', 'a/#', false],
    ['a/+/c', 'a/+/c', true],
    ['a/b/c', 'a/+/c', false],
    ['+/b', 'x/b', true],
  ])('%s covers %s: %s', (outer, inner, want) => {
    expect(mqttFilterCovers(outer, inner)).toBe(want);
  });
});
