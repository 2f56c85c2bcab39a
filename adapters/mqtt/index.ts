import type { Adapter } from '../../src/spi.js';
import { MqttAdapter } from './mqtt-adapter.js';
import type { MqttOptions } from './options.js';

export { mqttOptionsSchema, type MqttOptions } from './options.js';

export function createMqttAdapter(): Adapter<MqttOptions> {
  return new MqttAdapter();
}
