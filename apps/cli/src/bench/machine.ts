import { execFile } from 'node:child_process';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { managementClient } from '@surety/messaging';

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  rabbitmq: string;
  erlang: string;
  k6: string;
  loadAverageAtStart: number[];
}

/** machineFacts records what the numbers were measured on: cores, memory, versions, load. */
export async function machineFacts(root: string, databaseUrl: string, managementUrl: string): Promise<MachineFacts> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const postgres =
    (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? 'unknown';
  await client.end();
  const overview = (await managementClient(managementUrl)('/overview')
    .then((r) => r.json())
    .catch(() => ({}))) as { rabbitmq_version?: string; erlang_version?: string };
  const k6 = await promisify(execFile)(join(root, '.tools', 'bin', 'k6'), ['version'])
    .then((r) => r.stdout.trim())
    .catch(() => 'not installed');
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    postgres,
    rabbitmq: overview.rabbitmq_version ?? 'unknown',
    erlang: overview.erlang_version ?? 'unknown',
    k6,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
