/**
 * The adapter registry: every protocol adapter the gateway can run, with its config schema.
 * The config section `protocols.<name>` is validated by the adapter's own schema, extended with
 * `enabled` (default true).
 */
import type { z } from 'zod';
import type { Adapter, ProtocolName } from './spi.js';

export interface AdapterEntry<S extends z.ZodObject = z.ZodObject> {
  readonly name: ProtocolName;
  readonly schema: S;
  create(): Adapter<z.output<S>>;
}

/** Keeps each entry's schema and factory types tied together. */
export function defineAdapter<S extends z.ZodObject>(entry: AdapterEntry<S>): AdapterEntry<S> {
  return entry;
}

export const ADAPTERS: readonly AdapterEntry[] = [];
