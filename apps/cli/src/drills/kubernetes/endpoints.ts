/** The URLs the drill needs on a cluster: load goes to the api, evidence comes from the rest. */
export interface ClusterUrls {
  apiUrl: string;
  gatewayUrl: string;
  databaseUrl: string;
  amqpUrl: string;
  managementUrl: string;
}

/**
 * The Services behind each URL (charts/surety, k8s/ and the operators' naming), and the secrets
 * whose credentials the database and broker URLs carry.
 */
export const clusterServices = {
  apiUrl: { service: 'api', port: 8080 },
  gatewayUrl: { service: 'gateway', port: 8090 },
  databaseUrl: { service: 'surety-pg-rw', port: 5432, secret: 'surety-pg-app' },
  amqpUrl: { service: 'rabbitmq', port: 5672, secret: 'rabbitmq-default-user' },
  managementUrl: { service: 'rabbitmq', port: 15672, secret: 'rabbitmq-default-user' },
} as const satisfies Record<keyof ClusterUrls, { service: string; port: number; secret?: string }>;

const enc = encodeURIComponent;

/**
 * urlFor builds the URL of one endpoint on a local port that reaches its Service, with the
 * credentials of its secret (CloudNativePG's <cluster>-app, RabbitMQ's <cluster>-default-user).
 */
export function urlFor(endpoint: keyof ClusterUrls, localPort: number, secret: Record<string, string> = {}): string {
  const host = `127.0.0.1:${localPort}`;
  switch (endpoint) {
    case 'apiUrl':
    case 'gatewayUrl':
      return `http://${host}`;
    case 'databaseUrl':
      return `postgres://${enc(secret.username ?? '')}:${enc(secret.password ?? '')}@${host}/${enc(secret.dbname ?? 'surety')}`;
    case 'amqpUrl':
      return `amqp://${enc(secret.username ?? '')}:${enc(secret.password ?? '')}@${host}`;
    case 'managementUrl':
      return `http://${enc(secret.username ?? '')}:${enc(secret.password ?? '')}@${host}`;
  }
}
