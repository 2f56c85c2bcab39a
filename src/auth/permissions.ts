import { BrokerError } from '../core/errors.js';
import type { UserConfig } from '../config/schema.js';
import type { Authorizer, Permission, Principal, Resource } from '../spi.js';
import { mqttFilterCovers, mqttTopicMatches } from './mqtt-filter.js';

type TopicRule = UserConfig['topicPermissions'][number];

/** The default exchange is named `amq.default` in permissions, as in RabbitMQ. */
const DEFAULT_EXCHANGE_NAME = 'amq.default';

function expand(pattern: string, p: Principal, vhost: string): string {
  return pattern
    .replaceAll('{username}', p.username)
    .replaceAll('{vhost}', vhost)
    .replaceAll('{client_id}', p.clientId ?? '');
}

function refuse(p: Principal, perm: Permission, what: string): never {
  throw new BrokerError(
    'GW_ERR_ACCESS_REFUSED',
    `access to ${what} refused for user '${p.username}' (${perm})`,
  );
}

/**
 * RabbitMQ's permission model: per user and vhost, `configure` / `write` / `read` regular
 * expressions (unanchored, as RabbitMQ's `re:run`) on exchange and queue names, plus topic
 * permissions on topic exchanges. Topic rules may be written in MQTT syntax for MQTT clients,
 * so `devices/{client_id}/#` means what an MQTT user expects (RabbitMQ checks MQTT topics only
 * in their AMQP form: rabbitmq/rabbitmq-server#2370).
 */
export class PermissionAuthorizer implements Authorizer {
  readonly #users: ReadonlyMap<string, UserConfig>;
  /** Compiled regular expressions by expanded source. */
  readonly #regexps = new Map<string, RegExp>();

  constructor(users: readonly UserConfig[]) {
    this.#users = new Map(users.map((u) => [u.username, u]));
  }

  check(principal: Principal, perm: Permission, res: Resource): void {
    const user = this.#users.get(principal.username);
    if (!user?.vhosts.includes(res.vhost)) refuse(principal, perm, `vhost '${res.vhost}'`);
    const entry = user.permissions.find((e) => e.vhost === res.vhost);
    const pattern = entry ? entry[perm] : '.*';
    const name = res.kind === 'exchange' && res.name === '' ? DEFAULT_EXCHANGE_NAME : res.name;
    if (!this.#regexp(expand(pattern, principal, res.vhost)).test(name)) {
      refuse(principal, perm, `${res.kind} '${name}' in vhost '${res.vhost}'`);
    }
    if (res.kind === 'exchange' && perm !== 'configure' && res.routingKey !== undefined) {
      this.#checkTopic(user, principal, perm, res, res.routingKey);
    }
  }

  /** Every topic rule for this exchange must allow the key; no rule means no restriction. */
  #checkTopic(
    user: UserConfig,
    p: Principal,
    perm: 'write' | 'read',
    res: Resource,
    key: string,
  ): void {
    for (const rule of user.topicPermissions) {
      if (rule.vhost !== res.vhost || rule.exchange !== res.name) continue;
      if (!this.#topicAllowed(rule, p, perm, res, key)) {
        refuse(p, perm, `topic '${res.topic ?? key}' on exchange '${res.name}'`);
      }
    }
  }

  #topicAllowed(
    rule: TopicRule,
    p: Principal,
    perm: 'write' | 'read',
    res: Resource,
    key: string,
  ): boolean {
    const mqtt = perm === 'write' ? rule.mqttWrite : rule.mqttRead;
    if (mqtt !== undefined && res.topic !== undefined) {
      const filter = expand(mqtt, p, res.vhost);
      // A publish names one topic; a subscription is a filter that must stay inside the rule.
      return perm === 'write'
        ? mqttTopicMatches(filter, res.topic)
        : mqttFilterCovers(filter, res.topic);
    }
    const regex = perm === 'write' ? rule.write : rule.read;
    return regex === undefined || this.#regexp(expand(regex, p, res.vhost)).test(key);
  }

  #regexp(source: string): RegExp {
    let re = this.#regexps.get(source);
    if (!re) {
      re = new RegExp(source);
      this.#regexps.set(source, re);
    }
    return re;
  }
}
