import type { ExchangeTypeName } from '../../spi.js';
import { directExchange } from './direct.js';
import type { ExchangeType } from './exchange-type.js';
import { fanoutExchange } from './fanout.js';
import { headersExchange } from './headers.js';
import { topicExchange } from './topic.js';

export const EXCHANGE_TYPES: Readonly<Record<ExchangeTypeName, ExchangeType>> = {
  direct: directExchange,
  fanout: fanoutExchange,
  topic: topicExchange,
  headers: headersExchange,
};

export function isExchangeTypeName(name: string): name is ExchangeTypeName {
  return Object.hasOwn(EXCHANGE_TYPES, name);
}
