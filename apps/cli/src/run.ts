import { join } from 'node:path';
import { defaults } from '@surety/config';
import { migrate } from '@surety/db';
import type { AppName } from './apps.js';
import { startEveryApp } from './fleet.js';
import { waitUntilReady } from './readiness.js';
import { Supervisor } from './supervisor.js';

export interface RunOptions {
  root: string;
  replicas: Map<AppName, number>;
  env: Record<string, string | undefined>;
  say: (line: string) => void;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

/**
 * run migrates the database, starts every app (N replicas of each consumer) under the supervisor,
 * prints every URL, and stops them all cleanly on Ctrl-C or SIGTERM.
 */
export async function run(options: RunOptions): Promise<void> {
  const { say, env } = options;
  const databaseUrl = env.DATABASE_URL ?? defaults.databaseUrl;
  say('migrating the database');
  await migrate(databaseUrl);
  const supervisor = new Supervisor({ root: options.root, logDir: join(options.root, '.local', 'logs'), say });
  const gatewayUrl = env.GATEWAY_URL ?? defaults.gatewayUrl;
  const started = startEveryApp(supervisor, {
    replicas: (app) => options.replicas.get(app) ?? 1,
    env: (_app, id) => ({ GATEWAY_URL: gatewayUrl, SURETY_REPLICA: id }),
  });
  say(`starting ${started.length} processes (logs in .local/logs/)`);
  const readiness = await Promise.all(
    started.map(async (p) => [p, await waitUntilReady(`${p.url}/healthz`, 60_000)] as const),
  );
  for (const [p, ready] of readiness)
    if (!ready) say(`${p.id} did not answer /healthz within 60 s: see .local/logs/${p.id}.log`);

  const apiUrl = `http://127.0.0.1:${env.PORT ?? defaults.apiPort}`;
  say('');
  say(`  api         ${apiUrl}            POST /orders, GET /orders/:id, GET /products`);
  say(`  docs        ${apiUrl}/docs       (OpenAPI at /docs/json)`);
  say(`  gateway     ${gatewayUrl}        GET /charges?orderId=, GET /requests?orderId=`);
  say(`  rabbitmq    ${redact(env.RABBITMQ_MANAGEMENT_URL ?? defaults.rabbitManagementUrl)}   (guest / guest)`);
  say(`  amqp        ${redact(env.AMQP_URL ?? defaults.amqpUrl)}`);
  say(`  postgres    ${databaseUrl}`);
  for (const p of started) say(`  ${p.id.padEnd(15)} ${p.url}/metrics`);
  say('');
  say('running; Ctrl-C stops every process');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      say(`${signal}: stopping every process`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await supervisor.stopAll();
  say('stopped');
}
