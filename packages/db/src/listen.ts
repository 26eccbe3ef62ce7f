import pg from 'pg';

export type ListenClient = pg.Client;

/**
 * createListenClient makes a dedicated, unconnected client for LISTEN: notifications arrive only on
 * the connection that listens, so it must live outside any pool.
 */
export function createListenClient(connectionString: string, applicationName: string): ListenClient {
  return new pg.Client({ connectionString, application_name: applicationName });
}
