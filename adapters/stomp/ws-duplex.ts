import { isUtf8 } from 'node:buffer';
import { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { StompOptions } from './options.js';

type FrameType = StompOptions['ws']['frameType'];

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * A WebSocket as a byte stream for the shared STOMP processor. Text and binary messages are
 * both accepted; each write becomes one message, text or binary as `frameType` says (`auto`:
 * text when the bytes are valid UTF-8, which browsers require of text messages). Frame
 * boundaries do not matter: the parser handles several frames per message and frames split
 * over messages.
 */
export function webSocketDuplex(ws: WebSocket, frameType: FrameType): Duplex {
  const send = (data: Buffer, callback: (err?: Error | null) => void): void => {
    const binary = frameType === 'binary' || (frameType === 'auto' && !isUtf8(data));
    ws.send(data, { binary }, callback);
  };
  const duplex = new Duplex({
    read() {
      ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      send(chunk, callback);
    },
    // Corked frames go out as one message: STOMP allows several frames per WebSocket message.
    writev(chunks, callback) {
      send(
        chunks.length === 1
          ? (chunks[0]?.chunk as Buffer)
          : Buffer.concat(chunks.map((c) => c.chunk as Buffer)),
        callback,
      );
    },
    final(callback) {
      ws.close(1000);
      callback();
    },
    destroy(err, callback) {
      if (ws.readyState !== ws.CLOSED) ws.terminate();
      callback(err);
    },
  });
  ws.on('message', (data: RawData) => {
    if (!duplex.push(toBuffer(data))) ws.pause();
  });
  ws.on('close', () => {
    duplex.push(null);
    duplex.destroy();
  });
  ws.on('error', (err) => {
    duplex.destroy(err);
  });
  return duplex;
}
