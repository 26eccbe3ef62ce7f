import { managementClient } from '@surety/messaging';
import { serverEndpointsFromEnv } from '../../apps/cli/src/isolated-resources.js';

/** Where the integration tests find the servers `scripts/infra.sh up` started. */
export const testEnv = Object.freeze(serverEndpointsFromEnv());

export const templateDatabase = 'surety_test_template';
export const testPrefix = 'surety_t_';

/** databaseUrlFor swaps the database name of the configured server URL. */
export function databaseUrlFor(name: string): string {
  const url = new URL(testEnv.databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** amqpUrlFor addresses one vhost of the configured broker. */
export function amqpUrlFor(vhost: string): string {
  const url = new URL(testEnv.amqpUrl);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return url.toString();
}

/** management calls RabbitMQ's HTTP API with the credentials in its URL. */
export const management = managementClient(testEnv.managementUrl);
