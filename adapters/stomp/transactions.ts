import { StompProtocolError } from './errors.js';

/** A buffered SEND, ACK or NACK; a SEND returns its store commit to wait for. */
export type TransactionAction = () => Promise<void> | undefined;

/**
 * STOMP 1.2 BEGIN / COMMIT / ABORT: actions are buffered per transaction and run in order on
 * COMMIT, dropped on ABORT or disconnect. Both counts are limited (RabbitMQ: 16 transactions,
 * 1024 actions each) so a client cannot grow memory without bound.
 */
export class Transactions {
  private readonly open = new Map<string, TransactionAction[]>();
  private readonly maxTransactions: number;
  private readonly maxActions: number;

  constructor(maxTransactions: number, maxActions: number) {
    this.maxTransactions = maxTransactions;
    this.maxActions = maxActions;
  }

  begin(id: string): void {
    if (this.open.has(id))
      throw new StompProtocolError(
        'Transaction already started',
        `transaction '${id}' is already open`,
      );
    if (this.open.size >= this.maxTransactions) {
      throw new StompProtocolError(
        'Too many transactions',
        `at most ${this.maxTransactions} open transactions`,
      );
    }
    this.open.set(id, []);
  }

  add(id: string, action: TransactionAction): void {
    const actions = this.actions(id);
    if (actions.length >= this.maxActions) {
      throw new StompProtocolError(
        'Transaction too large',
        `at most ${this.maxActions} frames in transaction '${id}'`,
      );
    }
    actions.push(action);
  }

  /** Removes the transaction and returns its actions, in order, for the caller to run. */
  commit(id: string): readonly TransactionAction[] {
    const actions = this.actions(id);
    this.open.delete(id);
    return actions;
  }

  abort(id: string): void {
    this.actions(id);
    this.open.delete(id);
  }

  clear(): void {
    this.open.clear();
  }

  private actions(id: string): TransactionAction[] {
    const actions = this.open.get(id);
    if (!actions)
      throw new StompProtocolError('Bad transaction', `transaction '${id}' is not open`);
    return actions;
  }
}
