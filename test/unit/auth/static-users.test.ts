import { describe, expect, it } from 'vitest';
import { StaticUsers } from '../../../src/auth/static-users.js';
import { userSchema } from '../../../src/config/schema.js';
import type { ConnectionInfo } from '../../../src/spi.js';

/** Password "guest", scrypt cost 2^10. */
const HASH = 'scrypt$1024$dGVzdC1zYWx0LWd1ZXN0MQ==$iH2eruBdIr4dxN/X3yybP5s8EsR8uNx8pqXhb09Y+sU=';
const users = [
  userSchema.parse({ username: 'device-1', passwordHash: HASH, maxConnections: 1 }),
  userSchema.parse({ username: 'service', passwordHash: HASH }),
];

/** A connection whose close the test triggers. */
function connection(id: string, commonName?: string): ConnectionInfo & { close(): void } {
  const listeners: (() => void)[] = [];
  return {
    id,
    protocol: 'mqtt',
    transport: 'tls',
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localPort: 2,
    peerIdentity: commonName === undefined ? undefined : { commonName },
    onClose: (l) => listeners.push(l),
    close: () => {
      for (const l of listeners.splice(0)) l();
    },
  };
}

describe('certificate login (mechanism EXTERNAL)', () => {
  it('logs in as the verified CN without a password', async () => {
    const authn = new StaticUsers(users);
    const principal = await authn.authenticate(
      { mechanism: 'EXTERNAL' },
      connection('c1', 'service'),
    );
    expect(principal.username).toBe('service');
  });

  it('refuses an unknown CN, a connection without a verified certificate, and no connection', async () => {
    const authn = new StaticUsers(users);
    const refused = { code: 'GW_ERR_AUTHENTICATION_FAILED' };
    await expect(
      authn.authenticate({ mechanism: 'EXTERNAL' }, connection('c1', 'nobody')),
    ).rejects.toMatchObject(refused);
    await expect(
      authn.authenticate({ mechanism: 'EXTERNAL' }, connection('c2')),
    ).rejects.toMatchObject(refused);
    await expect(authn.authenticate({ mechanism: 'EXTERNAL' })).rejects.toMatchObject(refused);
  });
});

describe('per-user connection limits', () => {
  it('counts logins per user until the connection closes; over the cap is ACCESS_REFUSED', async () => {
    const authn = new StaticUsers(users, 2);
    const login = (c: ConnectionInfo) =>
      authn.authenticate({ username: 'device-1', password: 'guest' }, c);
    const first = connection('c1');
    await login(first);
    await expect(login(connection('c2'))).rejects.toMatchObject({
      code: 'GW_ERR_ACCESS_REFUSED',
      message: expect.stringMatching(/connection limit \(1\)/) as unknown,
    });
    // A second login on the same connection is not a second connection.
    await login(first);
    expect(authn.connections.open('device-1')).toBe(1);
    first.close();
    expect(authn.connections.open('device-1')).toBe(0);
    await login(connection('c3'));
  });

  it('applies the default cap to users without their own; management logins are not counted', async () => {
    const authn = new StaticUsers(users, 2);
    const login = (c?: ConnectionInfo) =>
      authn.authenticate({ username: 'service', password: 'guest' }, c);
    await login(connection('a'));
    await login(connection('b'));
    await expect(login(connection('c'))).rejects.toMatchObject({ code: 'GW_ERR_ACCESS_REFUSED' });
    await login();
    expect(authn.connections.open('service')).toBe(2);
  });
});
