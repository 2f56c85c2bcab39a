/**
 * The adapter registry: every protocol adapter the gateway can run, with its config schema.
 * The config section `protocols.<name>` is validated by the adapter's own schema, extended with
 * `enabled` (default true).
 */
import type { z } from 'zod';
import type { Adapter, ProtocolName } from './spi.js';
import { createMqttAdapter, mqttOptionsSchema } from '../adapters/mqtt/index.js';
import { createStompAdapter } from '../adapters/stomp/index.js';
import { stompOptionsSchema } from '../adapters/stomp/options.js';
import { amqp10OptionsSchema, createAmqp10Adapter } from '../adapters/amqp10/index.js';
import { createAmqp091Adapter } from '../adapters/amqp091/index.js';
import { amqp091OptionsSchema } from '../adapters/amqp091/options.js';

export interface AdapterEntry<S extends z.ZodObject = z.ZodObject> {
  readonly name: ProtocolName;
  readonly schema: S;
  create(): Adapter<z.output<S>>;
}

/** Keeps each entry's schema and factory types tied together. */
export function defineAdapter<S extends z.ZodObject>(entry: AdapterEntry<S>): AdapterEntry<S> {
  return entry;
}

export const ADAPTERS: readonly AdapterEntry[] = [
  defineAdapter({ name: 'mqtt', schema: mqttOptionsSchema, create: createMqttAdapter }),
  defineAdapter({ name: 'stomp', schema: stompOptionsSchema, create: createStompAdapter }),
  defineAdapter({ name: 'amqp10', schema: amqp10OptionsSchema, create: createAmqp10Adapter }),
  defineAdapter({ name: 'amqp091', schema: amqp091OptionsSchema, create: createAmqp091Adapter }),
];
