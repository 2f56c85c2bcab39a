import {
  isBrokerError,
  type Authenticator,
  type ConnectionInfo,
  type Credentials,
  type Principal,
} from '../../src/spi.js';

/** The shape rhea's SASL server drives (lib/sasl.js): `start` with the initial response, then
 * `outcome` true/false decides the sasl-outcome code (ok / auth). A rejected promise gives `sys`. */
export interface SaslServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;
  start(response: Buffer | undefined, hostname: string | undefined): Promise<void>;
}

export interface SaslHooks {
  readonly authn: Authenticator;
  readonly info: ConnectionInfo;
  readonly anonymous: Credentials | undefined;
  /** Called once the login succeeded, before the sasl-outcome is written. */
  loggedIn(principal: Principal): void;
  /** Called after a refused login (sasl-outcome `auth`). */
  refused(): void;
}

class Mechanism implements SaslServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;
  readonly #hooks: SaslHooks;
  readonly #credentials: (response: Buffer | undefined) => Credentials | undefined;

  constructor(
    hooks: SaslHooks,
    credentials: (response: Buffer | undefined) => Credentials | undefined,
  ) {
    this.#hooks = hooks;
    this.#credentials = credentials;
  }

  async start(response: Buffer | undefined): Promise<void> {
    const creds = this.#credentials(response);
    try {
      if (!creds) throw new Error('malformed');
      const principal = await this.#hooks.authn.authenticate(creds, this.#hooks.info);
      this.outcome = true;
      this.username = principal.username;
      this.#hooks.loggedIn(principal);
    } catch (err) {
      // A bad password is `auth`; anything else (the authenticator broke) is `sys` (RFC 4422).
      if (creds && !(isBrokerError(err) && err.code === 'GW_ERR_AUTHENTICATION_FAILED')) throw err;
      this.outcome = false;
      this.#hooks.refused();
    }
  }
}

/** PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`, UTF-8. */
export function parsePlain(response: Buffer | undefined): Credentials | undefined {
  if (!response) return undefined;
  const parts = response.toString('utf8').split('\0');
  if (parts.length !== 3 || !parts[1]) return undefined;
  return { mechanism: 'PLAIN', username: parts[1], password: parts[2] };
}

/** Mechanism factories in the form rhea's `sasl_server_mechanisms` holds them. */
export function saslMechanisms(hooks: SaslHooks): Record<string, () => SaslServerMechanism> {
  const mechanisms: Record<string, () => SaslServerMechanism> = {
    PLAIN: () => new Mechanism(hooks, parsePlain),
  };
  // RabbitMQ `ssl_cert_login`: offered only on a TLS connection with a verified certificate.
  if (hooks.info.peerIdentity)
    mechanisms.EXTERNAL = () => new Mechanism(hooks, () => ({ mechanism: 'EXTERNAL' }));
  const anonymous = hooks.anonymous;
  if (anonymous)
    mechanisms.ANONYMOUS = () =>
      new Mechanism(hooks, () => ({ ...anonymous, mechanism: 'ANONYMOUS' }));
  return mechanisms;
}
