import { describe, expect, it } from 'vitest';
import {
  HeartbeatHeaderError,
  negotiateHeartbeat,
  negotiateVersion,
} from '../../../../adapters/stomp/negotiate.js';

describe('STOMP 1.2 Protocol Negotiation', () => {
  it.each([
    [undefined, '1.0'],
    ['1.0', '1.0'],
    ['1.0,1.1', '1.1'],
    ['1.1, 1.2', '1.2'],
    ['1.2,2.0', '1.2'],
    ['2.0', undefined],
  ])('accept-version %j -> %j', (header, expected) => {
    expect(negotiateVersion(header)).toBe(expected);
  });
});

describe('STOMP 1.2 Heart-beating negotiation', () => {
  it.each([
    [undefined, 1000, 1000, { sendMs: 0, receiveMs: 0 }],
    ['0,0', 1000, 1000, { sendMs: 0, receiveMs: 0 }],
    ['5000,10000', 1000, 1000, { sendMs: 10000, receiveMs: 5000 }],
    ['10,10', 1000, 2000, { sendMs: 1000, receiveMs: 2000 }],
    ['5000,5000', 0, 1000, { sendMs: 0, receiveMs: 5000 }],
    ['5000,5000', 1000, 0, { sendMs: 5000, receiveMs: 0 }],
  ])('client %j with server (%d, %d)', (header, sx, sy, expected) => {
    expect(negotiateHeartbeat(header, sx, sy)).toEqual(expected);
  });

  it('rejects a malformed heart-beat header', () => {
    expect(() => negotiateHeartbeat('fast', 1000, 1000)).toThrow(HeartbeatHeaderError);
  });
});
