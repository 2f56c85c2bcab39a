/**
 * A gateway in its own process for crash tests: SQLite store in $GW_DATA_DIR, every listener on
 * loopback port 0, AMQP only (and MQTT over TCP with GW_MQTT=1). Prints one JSON line with the
 * AMQP (and MQTT) port once it listens.
 */
import { createGateway } from '../../../src/gateway.js';

const dataDir = process.env['GW_DATA_DIR'];
if (!dataDir) throw new Error('GW_DATA_DIR is required');
const mqtt = process.env['GW_MQTT'] === '1';
const gateway = createGateway({
  log: { level: 'silent' },
  dataDir,
  store: { type: 'sqlite', synchronous: 'full' },
  amqp: { host: '127.0.0.1', port: 0 },
  management: { enabled: false },
  protocols: {
    mqtt: mqtt
      ? { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } }
      : { enabled: false },
    stomp: { enabled: false },
    amqp10: { enabled: false },
  },
});
const { addresses } = await gateway.start();
const amqp = addresses.find((a) => a.protocol === 'amqp091');
const mqttPort = addresses.find((a) => a.protocol === 'mqtt')?.port;
process.stdout.write(`${JSON.stringify({ amqp: amqp?.port, mqtt: mqttPort })}\n`);
