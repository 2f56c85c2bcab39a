/** Public API for embedding the gateway. */
export { createGateway } from './gateway.js';
export type { Gateway } from './gateway.js';
export { loadConfig, ConfigError } from './config/load.js';
export { gatewayConfigSchema } from './config/schema.js';
export type { GatewayConfig, GatewayConfigInput } from './config/schema.js';
export { hashPassword } from './auth/password.js';
export * from './spi.js';
