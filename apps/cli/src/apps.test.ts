import { describe, expect, it } from 'vitest';
import { parseReplicas, relayModeEnv, replicaPort } from './apps.js';

describe('parseReplicas', () => {
  it('reads counts per app', () => {
    expect(parseReplicas('payment=4, saga=2')).toEqual(
      new Map([
        ['payment', 4],
        ['saga', 2],
      ]),
    );
    expect(parseReplicas(undefined).size).toBe(0);
  });

  it('refuses unknown apps, single-process apps and silly counts', () => {
    expect(() => parseReplicas('ledger=2')).toThrow(/unknown app/);
    expect(() => parseReplicas('api=2')).toThrow(/one process/);
    expect(() => parseReplicas('payment=0')).toThrow(/count/);
  });

  it('spaces replica ports by a hundred', () => {
    expect(replicaPort(9102, 0)).toBe(9102);
    expect(replicaPort(9102, 3)).toBe(9402);
  });
});

describe('relayModeEnv', () => {
  it('adds nothing for the polling relay', () => {
    expect(relayModeEnv({})).toEqual({});
    expect(relayModeEnv({ RELAY_MODE: 'polling', OUTBOX_DISPATCH: 'writer' })).toEqual({});
  });

  it('leaves every event to the CDC relay, and refuses writers that would publish it again', () => {
    expect(relayModeEnv({ RELAY_MODE: 'cdc' })).toEqual({ RELAY_MODE: 'cdc', OUTBOX_DISPATCH: 'relay' });
    expect(() => relayModeEnv({ RELAY_MODE: 'cdc', OUTBOX_DISPATCH: 'writer' })).toThrow(/twice|OUTBOX_DISPATCH/);
    expect(() => relayModeEnv({ RELAY_MODE: 'wal' })).toThrow(/polling or cdc/);
  });
});
