/**
 * Wills left in the store by the previous run. They belong to connections that were open when
 * the gateway died, so those connections ended without a DISCONNECT: MQTT 3.1.1 3.1.2.5 has
 * the will published then ([MQTT-3.1.2-8]; "an I/O error or network failure detected by the
 * Server" is its first example). aedes does the same for the stored wills of a broker id that
 * stopped sending heartbeats, but only after four heartbeat intervals (4 minutes by default); a
 * restarted gateway has a new broker id, so it publishes them at start instead, before its
 * listeners open: retained wills are in place before anyone subscribes, and stored sessions
 * (already loaded) get their copy. A clean stop publishes the wills of open connections itself
 * (aedes closes them without DISCONNECT), so only a crash leaves any behind.
 */
import type { Aedes, PublishPacket } from 'aedes';
import type { Logger } from '../../src/spi.js';
import type { SessionRecords } from './session-records.js';

/** Returns how many wills it published. */
export async function publishStoredWills(
  aedes: Aedes,
  records: SessionRecords,
  log: Logger,
): Promise<number> {
  let published = 0;
  for (const { key, value } of await records.list('will')) {
    if (await publishStoredWill(aedes, records, log, key, value)) published++;
  }
  return published;
}

/** Publishes one stored will and removes it; false when the publish failed. */
export async function publishStoredWill(
  aedes: Aedes,
  records: SessionRecords,
  log: Logger,
  clientId: string,
  stored: unknown,
): Promise<boolean> {
  const { topic, payload, qos, retain } = stored as PublishPacket;
  // A fresh packet: the old broker id and counter would pass for another node's message.
  const will = { cmd: 'publish', topic, payload, qos, retain, dup: false } as PublishPacket;
  let published = false;
  try {
    await new Promise<void>((resolve, reject) => {
      aedes.publish(will, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
    published = true;
  } catch (err) {
    log.warn({ err, clientId, topic }, 'stored MQTT will not published');
  }
  await records.delete('will', clientId);
  return published;
}
