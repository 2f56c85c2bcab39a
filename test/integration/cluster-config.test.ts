/** The `cluster` section (issue 11): off by default, and only with the Redis store. */
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../../src/config/schema.js';
import { createGateway } from '../../src/gateway.js';

describe('cluster configuration', () => {
  it('is off by default', () => {
    expect(gatewayConfigSchema.parse({}).cluster.enabled).toBe(false);
  });

  it('refuses to start with a store other than redis (the nodes share its Redis)', () => {
    expect(() =>
      createGateway({ store: { type: 'memory' }, cluster: { enabled: true, nodeId: 'n1' } }),
    ).toThrow(/cluster\.enabled needs store\.type 'redis'/);
  });

  it('rejects a node timeout below 100 ms', () => {
    expect(() => gatewayConfigSchema.parse({ cluster: { nodeTimeoutMs: 10 } })).toThrow();
  });
});
