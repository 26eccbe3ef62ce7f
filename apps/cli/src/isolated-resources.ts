import { defaults } from '@surety/config';
import { checkOut, createPool, type PoolClient } from '@surety/db';
import { migrate } from '@surety/db/migrate';
import { dropReplicationSlots } from '@surety/db/outbox-changes';
import { brokerUrls, managementClient } from '@surety/messaging';
import { createLogger } from '@surety/telemetry';

/** The Postgres and RabbitMQ servers a drill, the bench or a test creates its database and vhost on. */
export interface ServerEndpoints {
  databaseUrl: string;
  amqpUrl: string;
  managementUrl: string;
}

/** serverEndpointsFromEnv reads the servers from DATABASE_URL, AMQP_URL and RABBITMQ_MANAGEMENT_URL, or `make run`'s defaults. */
export function serverEndpointsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerEndpoints {
  return {
    databaseUrl: env.DATABASE_URL ?? defaults.databaseUrl,
    amqpUrl: env.AMQP_URL ?? defaults.amqpUrl,
    managementUrl: env.RABBITMQ_MANAGEMENT_URL ?? defaults.rabbitManagementUrl,
  };
}

/**
 * withPath is `url` with its path replaced: the database or vhost it addresses. A list of URLs, one
 * per node (AMQP_URL on a cluster), has it replaced in each; a URL naming several hosts (libpq's
 * multi-host form, which WHATWG URLs do not parse) keeps its hosts as written.
 */
export function withPath(url: string, path: string): string {
  const urls = url.split(/,(?=[a-z][a-z0-9+.-]*:\/\/)/i);
  if (urls.length > 1) return urls.map((one) => withPath(one, path)).join(',');
  const multiHost = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*,[^/?#]*)[^?#]*(.*)$/i.exec(url);
  if (multiHost) return `${multiHost[1]}${path}${multiHost[2]}`;
  const parsed = new URL(url);
  parsed.pathname = path;
  return parsed.toString();
}

/**
 * asAdmin runs `work` on one connection to the server's `postgres` database, on the primary of a
 * multi-host URL.
 */
async function asAdmin<T>(databaseUrl: string, work: (admin: PoolClient) => Promise<T>): Promise<T> {
  const adminUrl = withPath(databaseUrl, '/postgres');
  const pool = createPool(adminUrl, createLogger('admin', 'silent'), { max: 1 });
  try {
    const admin = await checkOut(pool, adminUrl);
    try {
      return await work(admin);
    } finally {
      admin.release();
    }
  } finally {
    await pool.end();
  }
}

/** A client of RabbitMQ's management API, as `managementClient` makes one. */
type Management = ReturnType<typeof managementClient>;

/** vhostUserOf is the user an AMQP URL connects as, the one a vhost of its own must grant. */
export const vhostUserOf = (amqpUrl: string): string =>
  decodeURIComponent(new URL(brokerUrls(amqpUrl)[0]!).username) || 'guest';

/**
 * createGrantedVhost creates a vhost and grants `user` configure, write and read on it; `path` is
 * already URL-encoded. It throws when RabbitMQ refuses either call.
 */
export async function createGrantedVhost(management: Management, path: string, user: string): Promise<void> {
  const name = decodeURIComponent(path);
  const created = await management(`/vhosts/${path}`, { method: 'PUT', body: '{}' });
  if (!created.ok) throw new Error(`cannot create vhost ${name}: ${created.status}`);
  const granted = await management(`/permissions/${path}/${encodeURIComponent(user)}`, {
    method: 'PUT',
    body: JSON.stringify({ configure: '.*', write: '.*', read: '.*' }),
  });
  if (!granted.ok) throw new Error(`cannot grant ${user} on ${name}: ${granted.status}`);
}

/** deleteVhost deletes a vhost and its queues; `path` is already URL-encoded. */
export async function deleteVhost(management: Management, path: string): Promise<void> {
  await management(`/vhosts/${path}`, { method: 'DELETE' });
}

/**
 * sweepStaleResources removes what an interrupted earlier run left under `prefix`: databases no
 * connection is using (with their replication slots, which hold WAL) and vhosts no connection is
 * using. Those of a run going on beside this one have connections, and are left alone.
 */
export async function sweepStaleResources(endpoints: ServerEndpoints, prefix: string): Promise<void> {
  await asAdmin(endpoints.databaseUrl, async (admin) => {
    const stale = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database d
        WHERE datname LIKE $1 AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
      [`${prefix}%`],
    );
    for (const { datname } of stale.rows) {
      await dropReplicationSlots(admin, datname);
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  });
  const management = managementClient(endpoints.managementUrl);
  const vhosts = (await (await management('/vhosts')).json()) as { name: string }[];
  const connections = (await (await management('/connections')).json()) as { vhost: string }[];
  const inUse = new Set(connections.map((connection) => connection.vhost));
  for (const { name } of vhosts.filter((v) => v.name.startsWith(prefix) && !inUse.has(v.name))) {
    await deleteVhost(management, encodeURIComponent(name));
  }
}

export interface IsolatedResources {
  databaseUrl: string;
  amqpUrl: string;
  /** Creates another vhost, granted to the same user; `path` is already URL-encoded. */
  createVhost(path: string): Promise<void>;
  deleteVhost(path: string): Promise<void>;
  /** Deletes the vhost and drops the database. */
  drop(): Promise<void>;
}

/**
 * createIsolatedResources gives a drill or the bench a migrated database and a vhost of its own,
 * both named `name`, so that nothing it does mixes with `make run` or another run. With `migrate:
 * false` the database is left empty, for a caller that runs the migrations itself.
 */
export async function createIsolatedResources(
  endpoints: ServerEndpoints,
  name: string,
  { migrate: migrated = true }: { migrate?: boolean } = {},
): Promise<IsolatedResources> {
  await asAdmin(endpoints.databaseUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const databaseUrl = withPath(endpoints.databaseUrl, `/${name}`);
  if (migrated) await migrate(databaseUrl);
  const management = managementClient(endpoints.managementUrl);
  const user = vhostUserOf(endpoints.amqpUrl);
  const vhostPath = encodeURIComponent(name);
  await createGrantedVhost(management, vhostPath, user);
  return {
    databaseUrl,
    amqpUrl: withPath(endpoints.amqpUrl, `/${vhostPath}`),
    createVhost: (path) => createGrantedVhost(management, path, user),
    deleteVhost: (path) => deleteVhost(management, path),
    async drop() {
      await deleteVhost(management, vhostPath);
      await asAdmin(endpoints.databaseUrl, async (admin) => {
        await dropReplicationSlots(admin, name);
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}
