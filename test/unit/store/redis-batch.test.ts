import type { ChainableCommander } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CommandBatch, type Arg } from '../../../src/store/redis-batch.js';

function sent(b: CommandBatch): string[] {
  const out: string[] = [];
  const tx = {
    call(name: string, args: Arg[]) {
      out.push([name, ...args.map(String)].join(' '));
      return tx;
    },
  };
  b.sendTo(tx as unknown as ChainableCommander);
  return out;
}

describe('redis command batch', () => {
  it('merges writes of one kind on one key across commands on other keys', () => {
    const b = new CommandBatch();
    for (const id of [1, 2, 3]) {
      b.add('zadd', 'ids', id, id);
      b.add('hset', 'msgs', id, `m${id}`);
    }
    expect(sent(b)).toEqual(['zadd ids 1 1 2 2 3 3', 'hset msgs 1 m1 2 m2 3 m3']);
  });

  it('never moves a write past another command on the same key', () => {
    const b = new CommandBatch();
    b.add('zadd', 'ids', 1, 1);
    b.add('zrem', 'ids', 1);
    b.add('zadd', 'ids', 2, 2);
    b.del('ids', 'msgs');
    b.add('zadd', 'ids', 3, 3);
    expect(sent(b)).toEqual([
      'zadd ids 1 1',
      'zrem ids 1',
      'zadd ids 2 2',
      'del ids msgs',
      'zadd ids 3 3',
    ]);
  });

  it('starts a new command when one grows too long', () => {
    const b = new CommandBatch();
    for (let id = 0; id < 2_500; id++) b.add('hdel', 'msgs', id);
    expect(b.length).toBe(2);
  });
});
