import { BrokerError } from '../core/errors.js';
import type { Authenticator, ConnectionInfo, Credentials, Principal } from '../spi.js';
import type { UserConfig } from '../config/schema.js';
import { verifyPassword } from './password.js';
import { UserConnections } from './user-connections.js';

const refused = (): BrokerError =>
  new BrokerError('GW_ERR_AUTHENTICATION_FAILED', 'authentication failed');

/** Users from the config file, passwords as scrypt hashes; certificate logins (`EXTERNAL`) by
 * the CN the TLS transport verified; per-user connection limits. */
export class StaticUsers implements Authenticator {
  readonly #users: ReadonlyMap<string, UserConfig>;
  readonly connections: UserConnections;

  constructor(users: readonly UserConfig[], maxConnectionsPerUser = 0) {
    this.#users = new Map(users.map((u) => [u.username, u]));
    this.connections = new UserConnections(maxConnectionsPerUser);
  }

  async authenticate(creds: Credentials, conn?: ConnectionInfo): Promise<Principal> {
    const user =
      creds.mechanism === 'EXTERNAL' ? this.#byCertificate(conn) : await this.#byPassword(creds);
    if (conn) this.connections.admit(user.username, user.maxConnections, conn);
    return { username: user.username, vhosts: user.vhosts, tags: user.tags };
  }

  /** The certificate's CN must name a configured user; no password is checked. */
  #byCertificate(conn: ConnectionInfo | undefined): UserConfig {
    const cn = conn?.peerIdentity?.commonName;
    const user = cn === undefined ? undefined : this.#users.get(cn);
    if (!user) throw refused();
    return user;
  }

  async #byPassword(creds: Credentials): Promise<UserConfig> {
    const user = creds.username === undefined ? undefined : this.#users.get(creds.username);
    if (!user || !(await verifyPassword(creds.password ?? '', user.passwordHash))) throw refused();
    return user;
  }
}
