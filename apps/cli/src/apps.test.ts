import { describe, expect, it } from 'vitest';
import {
  appSpecs,
  parsePlacement,
  parseReplicas,
  processApps,
  relayModeEnv,
  replicaPort,
  hostedBy,
  hostsByCount,
  replicaProcess,
  servicesOf,
} from './apps.js';

describe('parseReplicas', () => {
  it('reads counts per app', () => {
    expect(parseReplicas('payment=4, saga=2', 'apart')).toEqual(
      new Map([
        ['payment', 4],
        ['saga', 2],
      ]),
    );
    expect(parseReplicas('consumers=2, relay=2', 'together')).toEqual(
      new Map([
        ['consumers', 2],
        ['relay', 2],
      ]),
    );
    expect(parseReplicas(undefined, 'together').size).toBe(0);
  });

  it('refuses unknown apps, single-process apps and silly counts', () => {
    expect(() => parseReplicas('ledger=2', 'apart')).toThrow(/unknown app/);
    expect(() => parseReplicas('api=2', 'apart')).toThrow(/one process/);
    expect(() => parseReplicas('payment=0', 'apart')).toThrow(/count/);
  });

  it('pins the consumers as they are placed: the host together, each consumer apart', () => {
    expect(() => parseReplicas('payment=2', 'together')).toThrow(/consumers=N/);
    expect(() => parseReplicas('consumers=2', 'apart')).toThrow(/apart/);
  });

  it('spaces replica ports by a hundred', () => {
    expect(replicaPort(9102, 0)).toBe(9102);
    expect(replicaPort(9102, 3)).toBe(9402);
  });
});

describe('placement', () => {
  it('runs the consumers together unless told apart', () => {
    expect(parsePlacement(undefined)).toBe('together');
    expect(parsePlacement('apart')).toBe('apart');
    expect(() => parsePlacement('mixed')).toThrow(/together or apart/);
  });

  it('starts the host where the first consumer would start, and every other app as before', () => {
    expect(processApps('together')).toEqual(['gateway', 'relay', 'consumers', 'api', 'reconciler']);
    expect(processApps('apart')).toEqual(appSpecs.map((spec) => spec.name));
  });

  it("lays a host's consumers out on the ports they have apart", () => {
    const host = replicaProcess('consumers', 1, 1000);
    expect(host).toMatchObject({ id: 'consumers-2', entry: 'apps/consumers/src/main.ts' });
    expect(host.env).toEqual({
      PAYMENT_PORT: '10202',
      INVENTORY_PORT: '10203',
      SAGA_PORT: '10204',
      NOTIFICATION_PORT: '10205',
      CONSUMERS: 'payment,inventory,saga,notification',
    });
    const apart = (['payment', 'inventory', 'saga', 'notification'] as const).flatMap(
      (app) => replicaProcess(app, 1, 1000).services,
    );
    expect(servicesOf('consumers-2', 1000)).toEqual(apart);
    expect(apart.map((service) => service.id)).toEqual(['payment-2', 'inventory-2', 'saga-2', 'notification-2']);
    expect(replicaProcess('gateway', 0).env).toEqual({ GATEWAY_PORT: '8090' });
    expect(() => servicesOf('ledger-1')).toThrow(/unexpected process id/);
  });

  it('lays out a host that serves some of the consumers, and reads what a running one serves', () => {
    const host = replicaProcess('consumers', 2, 0, ['saga', 'payment']);
    expect(host.env).toEqual({ PAYMENT_PORT: '9302', SAGA_PORT: '9304', CONSUMERS: 'payment,saga' });
    expect(servicesOf('consumers-3', 0, host.env).map((service) => service.id)).toEqual(['payment-3', 'saga-3']);
    expect(hostedBy(host.env)).toEqual(['payment', 'saga']);
    expect(hostedBy({})).toEqual(['payment', 'inventory', 'saga', 'notification']);
  });

  it('has host i serve the consumers given more than i replicas', () => {
    const hosts = hostsByCount((consumer) => ({ payment: 3, saga: 2 })[consumer as string] ?? 1);
    expect([0, 1, 2, 3].map(hosts)).toEqual([
      ['payment', 'inventory', 'saga', 'notification'],
      ['payment', 'saga'],
      ['payment'],
      [],
    ]);
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
