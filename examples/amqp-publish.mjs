// Quick-tour publisher: one persistent message to amq.topic with publisher confirms.
// Usage: node examples/amqp-publish.mjs <routing-key> <body>
import amqp from 'amqplib';

const [key = 'sensors.kitchen.temp', body = '21.5'] = process.argv.slice(2);
const conn = await amqp.connect(process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672');
const ch = await conn.createConfirmChannel();
ch.publish('amq.topic', key, Buffer.from(body), { persistent: true, contentType: 'text/plain' });
await ch.waitForConfirms();
console.log(`published '${body}' to amq.topic '${key}' (confirmed)`);
await conn.close();
