import { describe, expect, it } from 'vitest';
import { ProcessMemoryAlarm } from '../../../src/runtime/memory-alarm.js';
import { ConnectionPublishGate } from '../../../src/runtime/publish-gate.js';

/** Records pause/resume calls and resolves `resumed` on the next resume. */
function target() {
  const calls: string[] = [];
  let onResume: (() => void) | undefined;
  return {
    calls,
    resumed: () =>
      new Promise<void>((resolve) => {
        onResume = resolve;
      }),
    pause: () => calls.push('pause'),
    resume: () => {
      calls.push('resume');
      onResume?.();
    },
  };
}

const noAlarm = (): ProcessMemoryAlarm => new ProcessMemoryAlarm(0, 1000);

describe('publish gate: token bucket', () => {
  it('lets a burst through, pauses on the first message over it, resumes when tokens are back', async () => {
    const t = target();
    let now = 0;
    const gate = new ConnectionPublishGate(t, { perSecond: 1000, burst: 3 }, noAlarm(), () => now);
    gate.published();
    gate.published();
    gate.published();
    expect(t.calls).toEqual([]);
    const resumed = t.resumed();
    gate.published();
    expect(t.calls).toEqual(['pause']);
    now = 1; // one token (1 ms at 1000/s) is back when the refill timer fires
    await resumed;
    expect(t.calls).toEqual(['pause', 'resume']);
    gate.close();
  });

  it('burst 0 means one second of the rate; rate 0 never pauses', () => {
    const t = target();
    const gate = new ConnectionPublishGate(t, { perSecond: 0, burst: 0 }, noAlarm(), () => 0);
    for (let i = 0; i < 10_000; i++) gate.published();
    expect(t.calls).toEqual([]);
    const u = target();
    const limited = new ConnectionPublishGate(u, { perSecond: 10, burst: 0 }, noAlarm(), () => 0);
    for (let i = 0; i < 10; i++) limited.published();
    expect(u.calls).toEqual([]);
    limited.published();
    expect(u.calls).toEqual(['pause']);
    gate.close();
    limited.close();
  });
});

describe('publish gate: memory alarm', () => {
  it('pauses a connection that has published while the alarm is raised, resumes when it clears or closes', () => {
    const alarm = new ProcessMemoryAlarm(100, 60_000, () => 0);
    const t = target();
    const gate = new ConnectionPublishGate(t, { perSecond: 0, burst: 0 }, alarm);
    alarm.update(200);
    expect(t.calls).toEqual([]); // not a publisher yet: consumers keep being read
    gate.published();
    expect(t.calls).toEqual(['pause']);
    alarm.update(50);
    expect(t.calls).toEqual(['pause', 'resume']);
    alarm.update(200);
    expect(t.calls).toEqual(['pause', 'resume', 'pause']);
    gate.close(); // releases the hold (the target's timers go with it)
    expect(t.calls).toEqual(['pause', 'resume', 'pause', 'resume']);
    alarm.update(200); // closed: no longer listening
    expect(t.calls).toEqual(['pause', 'resume', 'pause', 'resume']);
    alarm.stop();
  });
});
