import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterEndpoints,
  drills,
  drillSizes,
  localBackend,
  runCluster,
  runDrill,
  withRelaySkippingConfirms,
} from '@surety/cli';

// The drills that break one node of a replicated server: three RabbitMQ nodes and a Postgres
// primary with its synchronous standby, each a host of its own (scripts/cluster.sh).

const root = fileURLToPath(new URL('../../', import.meta.url));
const lines: string[] = [];

function leftovers(): string[] {
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  return [...`${namespaces}\n${links}`.matchAll(/surety-(rmq|pg)\d|suretybr0/g)].map((match) => match[0]);
}

describe('crash drills on the local cluster (short)', () => {
  let backend: ReturnType<typeof localBackend>;

  beforeAll(async () => {
    await runCluster(root, 'reset');
    await runCluster(root, 'up');
    await runCluster(root, 'pg-up');
    const endpoints = clusterEndpoints(await runCluster(root, 'amqp-urls'), await runCluster(root, 'pg-url'));
    backend = localBackend({ root, endpoints, cluster: true });
  }, 300_000);

  afterAll(async () => {
    await runCluster(root, 'reset');
    expect(leftovers(), 'namespaces and bridge removed').toEqual([]);
  }, 120_000);

  const inCi = drills.filter((drill) => drill.needsCluster);
  it.each(inCi.map((drill) => [drill.name, drill] as const))(
    '%s holds every invariant',
    async (_name, drill) => {
      const report = await runDrill(drill, { backend, size: drillSizes.short, say: (line) => lines.push(line) });
      const failed = report.verdicts.filter((v) => v.verdict === 'FAIL');
      expect(failed, lines.slice(-20).join('\n')).toEqual([]);
      expect(report.ordersPlaced).toBe(drillSizes.short.orders);
      // A node back from a partition may need restarting, and minutes to recover its quorum logs.
    },
    600_000,
  );

  it('the contrast: a relay that does not wait for confirms loses events across the partition, and the judge FAILs', async () => {
    const partition = drills.find((drill) => drill.name === 'broker-leader-partition')!;
    const report = await runDrill(withRelaySkippingConfirms(partition), {
      backend,
      size: drillSizes.short,
      say: (line) => lines.push(line),
      // The lost orders never settle: waiting longer shows nothing more.
      quiescenceTimeoutMs: 30_000,
    });
    const log = lines.slice(-20).join('\n');
    expect(report.passed, log).toBe(false);
    expect(report.ledger.publishedThenLost, log).toBeGreaterThan(0);
    expect(report.verdicts, log).toContainEqual(
      expect.objectContaining({ invariant: 'ledger: published, then lost', verdict: 'FAIL' }),
    );
    expect(report.ledger.duplicatedEffects).toBe(0);
  }, 600_000);
});
