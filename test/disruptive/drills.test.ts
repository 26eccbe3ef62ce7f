import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  drills,
  drillSizes,
  hotKeySizes,
  relayPathDrills,
  runDrill,
  runHotKey,
  withCdcRelay,
  type Drill,
} from '@surety/cli';
import { testEnv } from '../support/env.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const lines: string[] = [];
const options = {
  root,
  endpoints: { databaseUrl: testEnv.databaseUrl, amqpUrl: testEnv.amqpUrl, managementUrl: testEnv.managementUrl },
  size: drillSizes.short,
  say: (line: string) => lines.push(line),
};

/** The drills on the relay's path, again with the relays reading the WAL. */
describe('crash drills on the relay path, CDC relay (short)', () => {
  it.each(relayPathDrills.map((name) => [name, drills.find((d) => d.name === name)!] as const))(
    '%s holds every invariant',
    async (_name, drill) => {
      const report = await runDrill(withCdcRelay(drill), options);
      const failed = report.verdicts.filter((v) => v.verdict === 'FAIL');
      expect(failed, lines.slice(-20).join('\n')).toEqual([]);
    },
  );
});

/** The short version of every drill: any FAIL fails the build. */
describe('crash drills (short)', () => {
  // The drills that need the local cluster run in cluster-drills.test.ts.
  const singleNode = drills.filter((drill) => !drill.needsCluster);
  it.each(singleNode.map((drill) => [drill.name, drill] as const))('%s holds every invariant', async (_name, drill) => {
    const report = await runDrill(drill, options);
    const failed = report.verdicts.filter((v) => v.verdict === 'FAIL');
    expect(failed, lines.slice(-20).join('\n')).toEqual([]);
    expect(report.ordersPlaced).toBe(drillSizes.short.orders);
  });

  it('payment-crash-before-commit fails the judge when the gateway ignores idempotency keys', async () => {
    // Deterministic: the first five charges of each payment replica are rolled back after the gateway answered.
    const base = drills.find((d) => d.name === 'payment-crash-before-commit')!;
    const drill: Drill = {
      ...base,
      env: { payment: { SURETY_FAILPOINTS: 'payment.after-charge-before-commit=error*5' } },
    };
    const honoured = await runDrill(drill, options);
    expect(honoured.passed).toBe(true);
    const careless = await runDrill(drill, { ...options, gatewayIgnoresKeys: true });
    const charges = careless.verdicts.find((v) => v.invariant.startsWith('2'))!;
    expect(charges.verdict).toBe('FAIL');
    expect(charges.evidence).toMatch(/[1-9]\d* orders charged twice or more/);
  });
});

describe('hot-key (short)', () => {
  it('shows the whale pinning one partition keyed by customer, spread keyed by order, with order and ledgers held', async () => {
    const result = await runHotKey({
      root,
      endpoints: options.endpoints,
      outDir: mkdtempSync(join(tmpdir(), 'surety-hot-key-')),
      settings: hotKeySizes.short,
      say: options.say,
    });
    const failed = result.verdicts.filter((v) => v.verdict === 'FAIL');
    expect(failed, lines.slice(-20).join('\n')).toEqual([]);
  });
});
