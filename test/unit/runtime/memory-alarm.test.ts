import { describe, expect, it } from 'vitest';
import {
  highWatermarkBytes,
  ProcessMemoryAlarm as MemoryAlarm,
} from '../../../src/runtime/memory-alarm.js';

describe('gateway memory alarm (RabbitMQ vm_memory_high_watermark)', () => {
  it('reports crossing the watermark in both directions, once each', () => {
    const alarm = new MemoryAlarm(1000, 60_000, () => 0);
    const seen: boolean[] = [];
    alarm.subscribe((raised) => seen.push(raised));
    alarm.update(500);
    alarm.update(1500);
    alarm.update(2000);
    expect(alarm.raised).toBe(true);
    alarm.update(900);
    expect(seen).toEqual([true, false]);
    alarm.stop();
  });

  it('samples memory on its timer', async () => {
    let rss = 0;
    const alarm = new MemoryAlarm(10, 5, () => rss);
    const raised = new Promise<boolean>((resolve) => alarm.subscribe(resolve));
    rss = 100;
    expect(await raised).toBe(true);
    alarm.stop();
  });

  it('takes the watermark in bytes, or as a fraction of the machine memory (RabbitMQ .relative)', () => {
    const gib = 1024 ** 3;
    expect(highWatermarkBytes({ highWatermark: 5000, highWatermarkRelative: 0.4 }, gib)).toBe(5000);
    expect(highWatermarkBytes({ highWatermark: 0, highWatermarkRelative: 0.5 }, gib)).toBe(gib / 2);
    expect(highWatermarkBytes({ highWatermark: 0, highWatermarkRelative: 0 }, gib)).toBe(0);
  });
});
