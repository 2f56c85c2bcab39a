import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { gatewayConfigSchema, type GatewayConfig } from './schema.js';

export const ENV_PREFIX = 'GATEWAY_';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

type Tree = Record<string, unknown>;

/** `GATEWAY_PROTOCOLS__MQTT__PORT=1884` -> { protocols: { mqtt: { port: 1884 } } }. Keys are
 * camelCased per level (`MAX_ROUTING_KEY_WORDS` -> `maxRoutingKeyWords`); values are JSON
 * when they parse as JSON, strings otherwise. */
export function envOverrides(env: NodeJS.ProcessEnv): Tree {
  const out: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camel);
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = typeof next === 'object' && next !== null ? (next as Tree) : (node[key] = {});
    }
    node[path[path.length - 1] as string] = jsonOrString(raw);
  }
  return out;
}

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function jsonOrString(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof b === 'object' &&
      b !== null &&
      !Array.isArray(b)
        ? merge(b as Tree, v as Tree)
        : v;
  }
  return out;
}

async function readConfigFile(path: string): Promise<Tree> {
  const text = await readFile(path, 'utf8');
  const data: unknown = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError([`${path}: the top level must be an object`]);
  }
  return data as Tree;
}

/** Schema defaults <- optional file (JSON or YAML) <- GATEWAY_* environment. Every problem is
 * reported with its path. */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<GatewayConfig> {
  const fromFile = file === undefined ? {} : await readConfigFile(file);
  const result = gatewayConfigSchema.safeParse(merge(fromFile, envOverrides(env)));
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map(
        (i: z.core.$ZodIssue) => `${i.path.join('.') || '(root)'}: ${i.message}`,
      ),
    );
  }
  return result.data;
}
