/**
 * The one door to amqplib's generated AMQP 0-9-1 method codec (`lib/defs.js`, amqplib 2.3.1,
 * pinned in package.json). Its `exports` map hides `lib/`, so it is loaded by file path next to
 * the package entry. Only method frames go through it; content headers and field tables are
 * ours (codec/field-table.ts, codec/content.ts) because amqplib's table decoder drops wire types.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { HeaderTable } from '../../../src/spi.js';

interface AmqplibDefs {
  decode(id: number, payload: Buffer): Record<string, unknown>;
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  info(id: number): { readonly name: string } | undefined;
}

const require = createRequire(import.meta.url);
const defs = require(
  path.join(path.dirname(require.resolve('amqplib')), 'lib', 'defs.js'),
) as AmqplibDefs;

/** Method ids as `classId << 16 | methodId`, the form amqplib keys its codec by. */
export const METHOD = {
  ConnectionStart: 0x000a000a,
  ConnectionStartOk: 0x000a000b,
  ConnectionSecure: 0x000a0014,
  ConnectionSecureOk: 0x000a0015,
  ConnectionTune: 0x000a001e,
  ConnectionTuneOk: 0x000a001f,
  ConnectionOpen: 0x000a0028,
  ConnectionOpenOk: 0x000a0029,
  ConnectionClose: 0x000a0032,
  ConnectionCloseOk: 0x000a0033,
  ConnectionBlocked: 0x000a003c,
  ConnectionUnblocked: 0x000a003d,
  ConnectionUpdateSecret: 0x000a0046,
  ConnectionUpdateSecretOk: 0x000a0047,
  ChannelOpen: 0x0014000a,
  ChannelOpenOk: 0x0014000b,
  ChannelFlow: 0x00140014,
  ChannelFlowOk: 0x00140015,
  ChannelClose: 0x00140028,
  ChannelCloseOk: 0x00140029,
  AccessRequest: 0x001e000a,
  AccessRequestOk: 0x001e000b,
  ExchangeDeclare: 0x0028000a,
  ExchangeDeclareOk: 0x0028000b,
  ExchangeDelete: 0x00280014,
  ExchangeDeleteOk: 0x00280015,
  ExchangeBind: 0x0028001e,
  ExchangeBindOk: 0x0028001f,
  ExchangeUnbind: 0x00280028,
  ExchangeUnbindOk: 0x00280033,
  QueueDeclare: 0x0032000a,
  QueueDeclareOk: 0x0032000b,
  QueueBind: 0x00320014,
  QueueBindOk: 0x00320015,
  QueuePurge: 0x0032001e,
  QueuePurgeOk: 0x0032001f,
  QueueDelete: 0x00320028,
  QueueDeleteOk: 0x00320029,
  QueueUnbind: 0x00320032,
  QueueUnbindOk: 0x00320033,
  BasicQos: 0x003c000a,
  BasicQosOk: 0x003c000b,
  BasicConsume: 0x003c0014,
  BasicConsumeOk: 0x003c0015,
  BasicCancel: 0x003c001e,
  BasicCancelOk: 0x003c001f,
  BasicPublish: 0x003c0028,
  BasicReturn: 0x003c0032,
  BasicDeliver: 0x003c003c,
  BasicGet: 0x003c0046,
  BasicGetOk: 0x003c0047,
  BasicGetEmpty: 0x003c0048,
  BasicAck: 0x003c0050,
  BasicReject: 0x003c005a,
  BasicRecoverAsync: 0x003c0064,
  BasicRecover: 0x003c006e,
  BasicRecoverOk: 0x003c006f,
  BasicNack: 0x003c0078,
  ConfirmSelect: 0x0055000a,
  ConfirmSelectOk: 0x0055000b,
  TxSelect: 0x005a000a,
  TxSelectOk: 0x005a000b,
  TxCommit: 0x005a0014,
  TxCommitOk: 0x005a0015,
  TxRollback: 0x005a001e,
  TxRollbackOk: 0x005a001f,
} as const;

export type MethodName = keyof typeof METHOD;
export type MethodId = (typeof METHOD)[MethodName];

/** amqplib decodes tables into plain values, which are HeaderValues. */
type Table = HeaderTable;
type ServerTable = Record<string, unknown>;

/** Fields of the methods a client sends (decoded), as amqplib names them. */
export interface ClientMethods {
  ConnectionStartOk: {
    clientProperties: Table;
    mechanism: string;
    response: Buffer;
    locale: string;
  };
  ConnectionSecureOk: { response: Buffer };
  ConnectionTuneOk: { channelMax: number; frameMax: number; heartbeat: number };
  ConnectionOpen: { virtualHost: string };
  ConnectionClose: { replyCode: number; replyText: string; classId: number; methodId: number };
  ConnectionCloseOk: Record<string, never>;
  ConnectionBlocked: { reason: string };
  ConnectionUnblocked: Record<string, never>;
  ConnectionUpdateSecret: { newSecret: Buffer; reason: string };
  ChannelOpen: Record<string, never>;
  ChannelFlow: { active: boolean };
  ChannelFlowOk: { active: boolean };
  ChannelClose: { replyCode: number; replyText: string; classId: number; methodId: number };
  ChannelCloseOk: Record<string, never>;
  AccessRequest: { realm: string };
  ExchangeDeclare: {
    exchange: string;
    type: string;
    passive: boolean;
    durable: boolean;
    autoDelete: boolean;
    internal: boolean;
    nowait: boolean;
    arguments: Table;
  };
  ExchangeDelete: { exchange: string; ifUnused: boolean; nowait: boolean };
  ExchangeBind: {
    destination: string;
    source: string;
    routingKey: string;
    nowait: boolean;
    arguments: Table;
  };
  ExchangeUnbind: {
    destination: string;
    source: string;
    routingKey: string;
    nowait: boolean;
    arguments: Table;
  };
  QueueDeclare: {
    queue: string;
    passive: boolean;
    durable: boolean;
    exclusive: boolean;
    autoDelete: boolean;
    nowait: boolean;
    arguments: Table;
  };
  QueueBind: {
    queue: string;
    exchange: string;
    routingKey: string;
    nowait: boolean;
    arguments: Table;
  };
  QueuePurge: { queue: string; nowait: boolean };
  QueueDelete: { queue: string; ifUnused: boolean; ifEmpty: boolean; nowait: boolean };
  QueueUnbind: { queue: string; exchange: string; routingKey: string; arguments: Table };
  BasicQos: { prefetchSize: number; prefetchCount: number; global: boolean };
  BasicConsume: {
    queue: string;
    consumerTag: string;
    noLocal: boolean;
    noAck: boolean;
    exclusive: boolean;
    nowait: boolean;
    arguments: Table;
  };
  BasicCancel: { consumerTag: string; nowait: boolean };
  BasicCancelOk: { consumerTag: string };
  BasicPublish: { exchange: string; routingKey: string; mandatory: boolean; immediate: boolean };
  BasicGet: { queue: string; noAck: boolean };
  BasicAck: { deliveryTag: number; multiple: boolean };
  BasicReject: { deliveryTag: number; requeue: boolean };
  BasicRecoverAsync: { requeue: boolean };
  BasicRecover: { requeue: boolean };
  BasicNack: { deliveryTag: number; multiple: boolean; requeue: boolean };
  ConfirmSelect: { nowait: boolean };
  TxSelect: Record<string, never>;
  TxCommit: Record<string, never>;
  TxRollback: Record<string, never>;
}

/** Fields of the methods the server sends (encoded). */
export interface ServerMethods {
  ConnectionStart: {
    versionMajor: number;
    versionMinor: number;
    serverProperties: ServerTable;
    mechanisms: Buffer;
    locales: Buffer;
  };
  ConnectionSecure: { challenge: Buffer };
  ConnectionTune: { channelMax: number; frameMax: number; heartbeat: number };
  ConnectionOpenOk: { knownHosts: string };
  ConnectionClose: { replyCode: number; replyText: string; classId: number; methodId: number };
  ConnectionCloseOk: Record<string, never>;
  ConnectionBlocked: { reason: string };
  ConnectionUnblocked: Record<string, never>;
  ConnectionUpdateSecretOk: Record<string, never>;
  ChannelOpenOk: { channelId: Buffer };
  ChannelFlow: { active: boolean };
  ChannelFlowOk: { active: boolean };
  ChannelClose: { replyCode: number; replyText: string; classId: number; methodId: number };
  ChannelCloseOk: Record<string, never>;
  AccessRequestOk: { ticket: number };
  ExchangeDeclareOk: Record<string, never>;
  ExchangeDeleteOk: Record<string, never>;
  ExchangeBindOk: Record<string, never>;
  ExchangeUnbindOk: Record<string, never>;
  QueueDeclareOk: { queue: string; messageCount: number; consumerCount: number };
  QueueBindOk: Record<string, never>;
  QueuePurgeOk: { messageCount: number };
  QueueDeleteOk: { messageCount: number };
  QueueUnbindOk: Record<string, never>;
  BasicQosOk: Record<string, never>;
  BasicConsumeOk: { consumerTag: string };
  BasicCancel: { consumerTag: string; nowait: boolean };
  BasicCancelOk: { consumerTag: string };
  BasicReturn: { replyCode: number; replyText: string; exchange: string; routingKey: string };
  BasicDeliver: {
    consumerTag: string;
    deliveryTag: number;
    redelivered: boolean;
    exchange: string;
    routingKey: string;
  };
  BasicGetOk: {
    deliveryTag: number;
    redelivered: boolean;
    exchange: string;
    routingKey: string;
    messageCount: number;
  };
  BasicGetEmpty: Record<string, never>;
  BasicAck: { deliveryTag: number; multiple: boolean };
  BasicNack: { deliveryTag: number; multiple: boolean; requeue: boolean };
  BasicRecoverOk: Record<string, never>;
  ConfirmSelectOk: Record<string, never>;
  TxSelectOk: Record<string, never>;
  TxCommitOk: Record<string, never>;
  TxRollbackOk: Record<string, never>;
}

export type ClientMethodName = keyof ClientMethods;
export type ServerMethodName = keyof ServerMethods;

/** A decoded client method: `name` discriminates `fields`. */
export type ClientMethod = {
  [N in ClientMethodName]: {
    readonly name: N;
    readonly id: number;
    readonly fields: ClientMethods[N];
  };
}[ClientMethodName];

const CLIENT_METHOD_NAMES: readonly ClientMethodName[] = [
  'ConnectionStartOk',
  'ConnectionSecureOk',
  'ConnectionTuneOk',
  'ConnectionOpen',
  'ConnectionClose',
  'ConnectionCloseOk',
  'ConnectionBlocked',
  'ConnectionUnblocked',
  'ConnectionUpdateSecret',
  'ChannelOpen',
  'ChannelFlow',
  'ChannelFlowOk',
  'ChannelClose',
  'ChannelCloseOk',
  'AccessRequest',
  'ExchangeDeclare',
  'ExchangeDelete',
  'ExchangeBind',
  'ExchangeUnbind',
  'QueueDeclare',
  'QueueBind',
  'QueuePurge',
  'QueueDelete',
  'QueueUnbind',
  'BasicQos',
  'BasicConsume',
  'BasicCancel',
  'BasicCancelOk',
  'BasicPublish',
  'BasicGet',
  'BasicAck',
  'BasicReject',
  'BasicRecoverAsync',
  'BasicRecover',
  'BasicNack',
  'ConfirmSelect',
  'TxSelect',
  'TxCommit',
  'TxRollback',
];
const CLIENT_METHODS = new Map<number, ClientMethodName>(
  CLIENT_METHOD_NAMES.map((n) => [METHOD[n], n]),
);

/** Whether `id` names a method of the 0-9-1 spec at all (known to amqplib's codec). */
export function isKnownMethod(id: number): boolean {
  try {
    return defs.info(id) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Decodes a method frame payload (class-id, method-id, arguments). Returns undefined for a
 * method the server never accepts from a client; throws on a malformed argument list.
 */
export function decodeClientMethod(payload: Buffer): ClientMethod | undefined {
  const id = payload.readUInt32BE(0);
  const name = CLIENT_METHODS.get(id);
  if (name === undefined) return undefined;
  const fields = defs.decode(id, payload.subarray(4));
  return { name, id, fields } as ClientMethod;
}

/** Encodes a complete method frame (header, payload, frame-end) for `channel`. */
export function encodeMethod<N extends ServerMethodName>(
  name: N,
  channel: number,
  fields: ServerMethods[N],
): Buffer {
  return defs.encodeMethod(METHOD[name], channel, fields);
}

/** Class and method id of a method id, for `channel.close` / `connection.close`. */
export function splitMethodId(id: number): { classId: number; methodId: number } {
  return { classId: id >>> 16, methodId: id & 0xffff };
}
