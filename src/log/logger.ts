import { pino } from 'pino';
import type { Logger } from '../spi.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Structured JSON logs (pino); adapters take a child logger per connection. */
export function createLogger(level: LogLevel, name: string): Logger {
  return pino({ level, name });
}
