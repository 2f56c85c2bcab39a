/**
 * aedes's policy hooks, routed to the gateway's authenticator and authorizer. Permission checks
 * sit where RabbitMQ makes them: `write` on the exchange for PUBLISH, `read` for SUBSCRIBE, both
 * with the topic in AMQP form as the routing key and as the client wrote it (topic permissions
 * in either syntax); `configure` and `read` on a shared subscription's queue.
 */
import type { AedesOptions, Client, PublishPacket } from 'aedes';
import {
  BrokerError,
  isBrokerError,
  type Authenticator,
  type Authorizer,
  type Logger,
  type Principal,
  type Resource,
} from '../../src/spi.js';
import type { ConnectionState } from './connection-state.js';
import { CONNACK, connackError, toConnackError } from './error-map.js';
import { INVALID_FILTER } from './packet-guards.js';
import { parseShared, SHARE_PREFIX, type SharedSubscriptions } from './shared-subscriptions.js';
import { filterToPattern, topicToRoutingKey } from './topic-map.js';

const SYS_PREFIX = '$SYS/';

export interface HookDeps {
  readonly authn: Authenticator;
  readonly authz: Authorizer;
  readonly vhost: string;
  readonly exchange: string;
  /** Credentials for a CONNECT without username; undefined refuses it. */
  readonly anonymous: { readonly username: string; readonly password: string } | undefined;
  readonly shared: SharedSubscriptions;
  /** Hands a QoS 1 PUBLISH to the core before aedes acknowledges it (core-mq.ts). */
  readonly prePublish: (packet: PublishPacket, clientId: string) => Promise<void>;
  readonly log: Logger;
  readonly stateOf: (client: Client) => ConnectionState | undefined;
  /** A client is about to subscribe (aedes then registers the listener through `mq.on`). */
  readonly subscribing: (client: Client) => void;
  /** An authenticated client: its id is held by this node, its session loaded, once this
   * resolves (session-handover.ts). */
  readonly connecting: (client: Client, state: ConnectionState) => Promise<void>;
}

type Hooks = Required<
  Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>
>;

export function aedesHooks(deps: HookDeps): Hooks {
  const resource = (routingKey: string, topic: string): Resource => ({
    vhost: deps.vhost,
    kind: 'exchange',
    name: deps.exchange,
    routingKey,
    topic,
  });
  const queue = (name: string): Resource => ({ vhost: deps.vhost, kind: 'queue', name });

  const principalOf = (client: Client): Principal => {
    const principal = deps.stateOf(client)?.principal;
    if (!principal) throw new BrokerError('GW_ERR_ACCESS_REFUSED', 'not authenticated');
    return principal;
  };

  return {
    preConnect(client, packet, callback) {
      const state = deps.stateOf(client);
      // [MQTT-3.1.3-8] an empty id needs a clean session; MQTT 3.1 needs 1-23 characters.
      if (state && !packet.clientId && (!packet.clean || packet.protocolVersion === 3)) {
        state.rejectClientId = true;
      }
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      const state = deps.stateOf(client);
      if (!state) {
        done(connackError(CONNACK.serverUnavailable, 'connection already closed'), null);
        return;
      }
      if (state.rejectClientId) {
        done(connackError(CONNACK.identifierRejected, 'empty client id'), null);
        return;
      }
      // RabbitMQ `mqtt.ssl_cert_login`: no password over a verified TLS connection logs in as
      // the certificate's CN.
      const certLogin = password === undefined && state.info.peerIdentity !== undefined;
      const creds = certLogin
        ? { mechanism: 'EXTERNAL' }
        : username === undefined
          ? deps.anonymous
          : { username, password: password?.toString('utf8') };
      if (!creds) {
        done(connackError(CONNACK.notAuthorized, 'anonymous connections are not allowed'), null);
        return;
      }
      deps.authn.authenticate(creds, state.info).then(
        (principal) => {
          if (principal.vhosts && !principal.vhosts.includes(deps.vhost)) {
            done(connackError(CONNACK.notAuthorized, `no access to vhost '${deps.vhost}'`), null);
            return;
          }
          // `{client_id}` in permission patterns
          state.principal = { ...principal, clientId: client.id };
          deps.connecting(client, state).then(
            () => {
              done(null, true);
            },
            (err: unknown) => {
              deps.log.warn({ err, clientId: client.id }, 'MQTT session could not be taken over');
              done(connackError(CONNACK.serverUnavailable, 'session unavailable'), null);
            },
          );
        },
        (err: unknown) => {
          // A refused certificate login is "not authorized": no password was given.
          const refusedCert =
            certLogin && isBrokerError(err) && err.code === 'GW_ERR_AUTHENTICATION_FAILED';
          done(
            refusedCert
              ? connackError(CONNACK.notAuthorized, 'certificate login refused')
              : toConnackError(err),
            null,
          );
        },
      );
    },

    authorizePublish(client, packet, callback) {
      if (packet.topic.startsWith(SYS_PREFIX)) {
        callback(new Error(`${SYS_PREFIX} topics are reserved`));
        return;
      }
      // aedes republishes stored wills of vanished brokers without a client.
      if (!client) {
        callback(null);
        return;
      }
      try {
        const routingKey = topicToRoutingKey(packet.topic);
        deps.authz.check(principalOf(client), 'write', resource(routingKey, packet.topic));
        // "Nothing acknowledged is lost": PUBACK only once the core has the message.
        if (packet.qos === 1) {
          deps.prePublish(packet, client.id).then(
            () => {
              callback(null);
            },
            (err: unknown) => {
              callback(err instanceof Error ? err : new Error(String(err)));
            },
          );
          return;
        }
        callback(null);
      } catch (err) {
        // MQTT 3.1.1 has no negative PUBACK: the connection closes (RabbitMQ does the same).
        callback(err instanceof Error ? err : new Error(String(err)));
      }
    },

    authorizeSubscribe(client, sub, callback) {
      deps.subscribing(client);
      if (sub.topic.startsWith(INVALID_FILTER)) {
        callback(null, null);
        return;
      }
      try {
        if (sub.topic.startsWith(SYS_PREFIX)) {
          callback(null, sub);
          return;
        }
        const principal = principalOf(client);
        const shared = sub.topic.startsWith(SHARE_PREFIX) ? parseShared(sub.topic) : undefined;
        if (shared) {
          // RabbitMQ: declaring needs configure on the queue, consuming read on it.
          deps.authz.check(principal, 'configure', queue(shared.queue));
          deps.authz.check(principal, 'read', queue(shared.queue));
          deps.authz.check(principal, 'read', resource(shared.pattern, shared.filter));
          deps.shared.prepare(shared);
        } else {
          deps.authz.check(principal, 'read', resource(filterToPattern(sub.topic), sub.topic));
        }
        callback(null, sub);
      } catch (err) {
        deps.log.debug({ err, filter: sub.topic }, 'subscription refused');
        callback(null, null);
      }
    },
  };
}
