import { describe, expect, it } from 'vitest';
import { Transactions } from '../../../../adapters/stomp/transactions.js';
import { StompProtocolError } from '../../../../adapters/stomp/errors.js';

describe('STOMP 1.2 BEGIN / COMMIT / ABORT bookkeeping', () => {
  it('returns the actions in order on COMMIT and forgets the transaction', () => {
    const tx = new Transactions(2, 3);
    const order: number[] = [];
    tx.begin('t');
    tx.add('t', () => void order.push(1));
    tx.add('t', () => void order.push(2));
    for (const action of tx.commit('t')) void action();
    expect(order).toEqual([1, 2]);
    expect(() => tx.commit('t')).toThrow(StompProtocolError);
  });

  it('drops the actions on ABORT', () => {
    const tx = new Transactions(2, 3);
    tx.begin('t');
    tx.add('t', () => undefined);
    tx.abort('t');
    expect(() => {
      tx.add('t', () => undefined);
    }).toThrow(/not open/);
  });

  it('limits open transactions, actions per transaction, and refuses a duplicate BEGIN', () => {
    const tx = new Transactions(1, 1);
    tx.begin('a');
    expect(() => {
      tx.begin('a');
    }).toThrow(/already open/);
    expect(() => {
      tx.begin('b');
    }).toThrow(/at most 1 open/);
    tx.add('a', () => undefined);
    expect(() => {
      tx.add('a', () => undefined);
    }).toThrow(/at most 1 frames/);
  });
});
