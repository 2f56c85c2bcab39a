/**
 * The dispatcher encodes a message once per QoS and gives each client's copy its own packet
 * id; QoS 0 copies share one encoding. Real clients on a test gateway check the bytes.
 */
import type { IPublishPacket } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { Inbox, mqttTestFile } from '../../../integration/helpers/mqtt-clients.js';

const file = mqttTestFile();
const client = file.client;

describe('MQTT delivery encoding', () => {
  it("one QoS 2 message to QoS 0, 1 and 2 subscribers: same topic and payload, each QoS 1/2 copy with its client's own packet id [MQTT-2.3.1-1]", async () => {
    const granted = [0, 1, 1, 2, 2] as const;
    const subs = await Promise.all(granted.map(() => client()));
    const inboxes = subs.map((s) => new Inbox(s));
    await Promise.all(subs.map((s, i) => s.subscribeAsync('enc/+', { qos: granted[i] ?? 0 })));
    const pub = await client();
    const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    for (let n = 0; n < 3; n++) await pub.publishAsync(`enc/${n}`, payload, { qos: 2 });
    const got = await Promise.all(inboxes.map((box) => box.count(3)));
    got.forEach((messages, i) => {
      const ids = new Set<number | undefined>();
      messages.forEach((m, n) => {
        const packet: IPublishPacket = m.packet;
        expect(m.topic).toBe(`enc/${n}`);
        expect(Buffer.compare(packet.payload as Buffer, payload)).toBe(0);
        expect(packet.qos).toBe(granted[i]);
        expect(packet.dup).toBe(false);
        if (packet.qos > 0) ids.add(packet.messageId);
      });
      // QoS 1/2 copies: three distinct ids per client, each in 1..65535
      if (granted[i] !== 0) {
        expect(ids.size).toBe(3);
        for (const id of ids) expect(id).toBeGreaterThanOrEqual(1);
        for (const id of ids) expect(id).toBeLessThanOrEqual(65535);
      }
    });
  });
});
