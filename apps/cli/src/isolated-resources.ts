import pg from 'pg';
import { migrate } from '@surety/db';
import { managementClient } from '@surety/messaging';

export interface ServerEndpoints {
  databaseUrl: string;
  amqpUrl: string;
  managementUrl: string;
}

/** withPath is `url` with its path replaced: the database or vhost it addresses. */
export function withPath(url: string, path: string): string {
  const parsed = new URL(url);
  parsed.pathname = path;
  return parsed.toString();
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
  const adminUrl = withPath(endpoints.databaseUrl, '/postgres');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = withPath(endpoints.databaseUrl, `/${name}`);
  if (migrated) await migrate(databaseUrl);
  const management = managementClient(endpoints.managementUrl);
  const user = decodeURIComponent(new URL(endpoints.amqpUrl).username) || 'guest';
  const createVhost = async (path: string) => {
    await management(`/vhosts/${path}`, { method: 'PUT', body: '{}' });
    await management(`/permissions/${path}/${encodeURIComponent(user)}`, {
      method: 'PUT',
      body: JSON.stringify({ configure: '.*', write: '.*', read: '.*' }),
    });
  };
  const deleteVhost = async (path: string) => {
    await management(`/vhosts/${path}`, { method: 'DELETE' });
  };
  const vhostPath = encodeURIComponent(name);
  await createVhost(vhostPath);
  return {
    databaseUrl,
    amqpUrl: withPath(endpoints.amqpUrl, `/${vhostPath}`),
    createVhost,
    deleteVhost,
    async drop() {
      await deleteVhost(vhostPath);
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
