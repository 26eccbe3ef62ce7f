import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createIsolatedResources, type IsolatedResources } from '@surety/cli';
import { parse } from 'yaml';
import { testEnv, testPrefix } from '../../support/env.js';
import { freePort } from '../../support/ports.js';
import type { EntryPoint } from './chart-entry-points.js';
import { buildImageTree, scratchDirectory } from './image-tree.js';
import type { LocalCluster } from './launch.js';
import { startStandIn, type StandIn } from './stand-in.js';
import { repoRoot } from './workspaces.js';

export interface LocalClusterSetup {
  cluster: LocalCluster;
  /** The local port of each long-running entry point, by owner. */
  ports: Map<string, number>;
  collector: StandIn;
  close(): Promise<void>;
}

interface ChartValues {
  postgres: { cluster: string; uriKey: string };
  rabbitmq: { cluster: string; uriKey: string };
}

async function isolatedServers(name: string): Promise<IsolatedResources> {
  try {
    return await createIsolatedResources(testEnv, name, { migrate: false });
  } catch (error) {
    throw new Error(
      `PostgreSQL (${testEnv.databaseUrl}) and RabbitMQ (${testEnv.managementUrl}) must answer: start them with \`scripts/infra.sh up\``,
      { cause: error },
    );
  }
}

/**
 * startLocalCluster gives the chart's entry points what a cluster would: the image's file tree
 * (replayed from the Dockerfile), an empty database and a vhost of their own behind the operators'
 * secrets, a local port per Service, and a stand-in for every address outside the chart.
 */
export async function startLocalCluster(servers: EntryPoint[]): Promise<LocalClusterSetup> {
  const resources = await isolatedServers(`${testPrefix}image_${randomBytes(4).toString('hex')}`);
  const workDir = mkdtempSync(path.join(scratchDirectory(), 'surety-image-'));
  const collector = await startStandIn();
  const close = async () => {
    await collector.close();
    await resources.drop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const image = await buildImageTree(path.join(workDir, 'stages'));
    const ports = new Map(await Promise.all(servers.map(async (e) => [e.owner, await freePort()] as const)));
    const urls = new Map(servers.flatMap((e) => e.services.map((service) => [service, ports.get(e.owner)] as const)));
    const values = parse(readFileSync(path.join(repoRoot, 'charts/surety/values.yaml'), 'utf8')) as ChartValues;
    const secrets: Record<string, string> = {
      [`${values.postgres.cluster}-app/${values.postgres.uriKey}`]: resources.databaseUrl,
      [`${values.rabbitmq.cluster}-default-user/${values.rabbitmq.uriKey}`]: resources.amqpUrl,
    };
    const tmpdir = path.join(workDir, 'tmp');
    mkdirSync(tmpdir);
    const cluster: LocalCluster = {
      image,
      secret(name, key) {
        const value = secrets[`${name}/${key}`];
        if (value === undefined) throw new Error(`no stand-in for secret ${name} key ${key}`);
        return value;
      },
      serviceUrl: (service) => (urls.has(service) ? `http://127.0.0.1:${urls.get(service)}` : undefined),
      standInUrl: collector.url,
      tmpdir,
    };
    return { cluster, ports, collector, close };
  } catch (error) {
    await close();
    throw error;
  }
}
