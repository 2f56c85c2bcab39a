/** STOMP frames as the codec sees them: a command, headers (first occurrence wins, STOMP 1.2
 * "Repeated Header Entries"), and a body of raw bytes. */
export interface StompFrame {
  readonly command: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export type StompVersion = '1.0' | '1.1' | '1.2';

/** Highest first: negotiation picks the first one the client also accepts. */
export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.2', '1.1', '1.0'];

/** Outgoing header list: an ordered array so the writer never reorders or merges entries. */
export type HeaderList = readonly (readonly [string, string])[];
