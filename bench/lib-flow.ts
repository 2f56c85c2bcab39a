/**
 * What a client process does in a flow: one subscribing side and one publishing side, each in
 * one protocol, described as JSON so the driver can hand it to a child process. Every message
 * is 100 ASCII bytes whose first 20 are the publisher's clock (ms since the epoch), so the
 * consumer measures one-way latency in any protocol (all processes share the machine's clock).
 */
export type SubSide =
  | {
      readonly protocol: 'mqtt';
      readonly topic: string;
      readonly qos: 0 | 1;
      readonly connections: number;
    }
  | {
      readonly protocol: 'amqp091';
      /** One queue per entry, optionally bound to an exchange, all on one channel. */
      readonly queues: readonly {
        readonly name: string;
        readonly bind?: { readonly exchange: string; readonly key: string };
      }[];
      /** 0 = autoack (noAck); otherwise manual acks with this basic.qos prefetch. */
      readonly prefetch: number;
    }
  | {
      readonly protocol: 'amqp10';
      /** Declared (and bound) with AMQP 0-9-1 first: RabbitMQ needs the queue to exist. */
      readonly queue: string;
      readonly bind?: { readonly exchange: string; readonly key: string };
      readonly credit: number;
      readonly presettled: boolean;
    }
  | {
      readonly protocol: 'stomp';
      readonly transport: 'ws' | 'tcp';
      readonly destination: string;
      readonly connections: number;
      /** `stompjs`: @stomp/stompjs over `ws`; `raw`: frames counted by hand (cheaper for
       * 1,000 sessions in one client process). */
      readonly client: 'stompjs' | 'raw';
    };

export type PubSide =
  | {
      readonly protocol: 'mqtt';
      /** `{i}` is replaced by the publisher's index. */
      readonly topic: string;
      readonly qos: 0 | 1;
    }
  | {
      readonly protocol: 'amqp091';
      readonly exchange: string;
      /** `{i}` is replaced by the publisher's index. */
      readonly routingKey: string;
      readonly confirms: boolean;
    }
  | { readonly protocol: 'amqp10'; readonly queue: string; readonly presettled: boolean }
  | {
      readonly protocol: 'stomp';
      readonly transport: 'ws' | 'tcp';
      readonly destination: string;
      readonly client: 'stompjs' | 'raw';
    };

/** One flow: `publishers` connections each send `messages` at `rate` msgs/s (0 = as fast as
 * the client library lets them); the subscribing side expects `expected` deliveries. */
export interface Flow {
  readonly sub: SubSide;
  readonly pub: PubSide;
  readonly publishers: number;
  readonly messages: number;
  readonly rate: number;
  readonly expected: number;
}

export const BODY_SIZE = 100;
const STAMP = 20;

export const now = (): number => performance.timeOrigin + performance.now();

export function stampedBody(): Buffer {
  const body = Buffer.alloc(BODY_SIZE, 120);
  body.write(now().toFixed(3).padStart(STAMP, '0'), 0, 'latin1');
  return body;
}

export function sentAt(body: Buffer): number {
  return Number(body.toString('latin1', 0, STAMP));
}

/** Counts one delivery: the send time read from its body. */
export type Arrive = (sentAt: number) => void;

/** An open publishing connection: `send` returns a promise only when the caller must wait
 * (socket backpressure, a full confirm or credit window). */
export interface Publisher {
  send(body: Buffer): Promise<void> | undefined;
  /** Waits until everything sent is out (and confirmed where the side asks), then closes. */
  close(): Promise<void>;
}

/** An open subscribing side: `close` ends every connection. */
export type CloseAll = () => Promise<void>;

export const fill = (template: string, i: number): string => template.replaceAll('{i}', String(i));
