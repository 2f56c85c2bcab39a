import { describe, expect, it } from 'vitest';
import { parseShared } from '../../../../adapters/mqtt/shared-subscriptions.js';

describe('parseShared ($share/<group>/<filter>)', () => {
  it('names the queue mqtt-shared-<group>-<pattern>', () => {
    expect(parseShared('$share/workers/jobs/+')).toEqual({
      topic: '$share/workers/jobs/+',
      group: 'workers',
      filter: 'jobs/+',
      queue: 'mqtt-shared-workers-jobs.*',
      pattern: 'jobs.*',
    });
  });

  it('escapes - and % in the group so names cannot collide', () => {
    expect(parseShared('$share/a-b/x')?.queue).toBe('mqtt-shared-a%2Db-x');
    expect(parseShared('$share/a/b-x')?.queue).toBe('mqtt-shared-a-b-x');
    expect(parseShared('$share/5%/x')?.queue).toBe('mqtt-shared-5%25-x');
  });

  it('refuses an empty group or filter and wildcards in the group', () => {
    for (const t of ['$share/g', '$share/g/', '$share//x', '$share/+/x', '$share/#/x']) {
      expect(parseShared(t)).toBeUndefined();
    }
  });
});
