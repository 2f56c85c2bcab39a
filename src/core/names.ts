/** Names of the predeclared exchanges, shared by the core and the adapters. */
export const DEFAULT_EXCHANGE = '';
export const AMQ_DIRECT = 'amq.direct';
export const AMQ_FANOUT = 'amq.fanout';
export const AMQ_TOPIC = 'amq.topic';
export const AMQ_HEADERS = 'amq.headers';
export const AMQ_MATCH = 'amq.match';
