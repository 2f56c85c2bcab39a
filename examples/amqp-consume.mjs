// Quick-tour consumer: a private queue bound to amq.topic, where MQTT and STOMP /topic traffic
// meets. Usage: node examples/amqp-consume.mjs [binding-key] (default 'sensors.#')
import amqp from 'amqplib';

const key = process.argv[2] ?? 'sensors.#';
const conn = await amqp.connect(process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672');
const ch = await conn.createChannel();
const { queue } = await ch.assertQueue('', { exclusive: true });
await ch.bindQueue(queue, 'amq.topic', key);
console.log(`waiting for amq.topic '${key}' (Ctrl-C to stop)`);
await ch.consume(queue, (m) => {
  if (!m) return;
  console.log(`${m.fields.routingKey}: ${m.content.toString()}`, m.properties.headers ?? {});
  ch.ack(m);
});
