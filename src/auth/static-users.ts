import { BrokerError } from '../core/errors.js';
import type { Authenticator, ConnectionInfo, Credentials, Principal } from '../spi.js';
import type { UserConfig } from '../config/schema.js';
import { verifyPassword } from './password.js';

/** Users from the config file, passwords as scrypt hashes. */
export class StaticUsers implements Authenticator {
  readonly #users: ReadonlyMap<string, UserConfig>;

  constructor(users: readonly UserConfig[]) {
    this.#users = new Map(users.map((u) => [u.username, u]));
  }

  async authenticate(creds: Credentials, _conn?: ConnectionInfo): Promise<Principal> {
    const user = creds.username === undefined ? undefined : this.#users.get(creds.username);
    if (!user || !(await verifyPassword(creds.password ?? '', user.passwordHash))) {
      throw new BrokerError('GW_ERR_AUTHENTICATION_FAILED', 'authentication failed');
    }
    return { username: user.username, vhosts: user.vhosts, tags: user.tags };
  }
}
