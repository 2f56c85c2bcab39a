import type { ConnectionInfo, Principal } from '../../src/spi.js';
import type { ClientInternals } from './aedes-internals.js';

/** What the adapter knows about one MQTT connection, next to aedes's Client. */
export interface ConnectionState {
  readonly info: ConnectionInfo;
  readonly client: ClientInternals;
  principal: Principal | undefined;
  /** CONNECT carried an empty client id that MQTT does not allow here. */
  rejectClientId: boolean;
  /** The client id this connection holds across nodes (session-handover.ts), once claimed. */
  claimed?: string | undefined;
}
