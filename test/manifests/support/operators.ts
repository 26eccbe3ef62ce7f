import type { KubeObject } from './repo.js';
import type { PodShape, ServiceShape } from './workloads.js';

/**
 * What the operators create for the custom resources in k8s/, as their documentation states it
 * (shared/reference/kubernetes.md): the pods and Services nothing in this repository renders, but
 * which selectors, URLs and secret references address.
 */

const rabbitmqPorts = [
  { name: 'amqp', port: 5672 },
  { name: 'management', port: 15672 },
  { name: 'prometheus', port: 15692 },
];

/** Keys of the secret <cluster>-default-user of the RabbitMQ cluster operator. */
export const rabbitmqSecretKeys = ['username', 'password', 'default_user.conf', 'provider', 'type', 'host', 'port'];
export const rabbitmqSecretUriKey = 'connection_string';

/** Keys of the secret <cluster>-app of CloudNativePG. */
export const postgresSecretKeys = ['username', 'password', 'host', 'port', 'dbname', 'pgpass', 'jdbc-uri', 'uri'];

function rabbitmqLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': 'rabbitmq',
    'app.kubernetes.io/part-of': 'rabbitmq',
  };
}

export function operatorPods(objects: KubeObject[], namespace: string): PodShape[] {
  return objects.flatMap((object): PodShape[] => {
    const ns = object.metadata.namespace ?? namespace;
    const spec = { containers: [] };
    if (object.kind === 'RabbitmqCluster') {
      return [
        {
          owner: `RabbitmqCluster/${object.metadata.name}`,
          namespace: ns,
          labels: rabbitmqLabels(object.metadata.name),
          spec,
        },
      ];
    }
    if (object.kind === 'Cluster' && object.apiVersion.startsWith('postgresql.cnpg.io/')) {
      // One primary and its replicas; cnpg.io/instanceRole moves to the promoted pod on failover.
      return ['primary', 'replica'].map((role) => ({
        owner: `Cluster/${object.metadata.name}`,
        namespace: ns,
        labels: {
          'cnpg.io/cluster': object.metadata.name,
          'cnpg.io/podRole': 'instance',
          'cnpg.io/instanceRole': role,
        },
        spec,
      }));
    }
    return [];
  });
}

export function operatorServices(objects: KubeObject[], namespace: string): ServiceShape[] {
  return objects.flatMap((object): ServiceShape[] => {
    const ns = object.metadata.namespace ?? namespace;
    const name = object.metadata.name;
    if (object.kind === 'RabbitmqCluster') {
      const labels = rabbitmqLabels(name);
      return [{ name, namespace: ns, labels, selector: labels, ports: rabbitmqPorts, type: 'ClusterIP' }];
    }
    if (object.kind === 'Cluster' && object.apiVersion.startsWith('postgresql.cnpg.io/')) {
      return ['rw', 'ro', 'r'].map((suffix) => ({
        name: `${name}-${suffix}`,
        namespace: ns,
        labels: { 'cnpg.io/cluster': name },
        selector: { 'cnpg.io/cluster': name },
        ports: [{ name: 'postgres', port: 5432 }],
        type: 'ClusterIP',
      }));
    }
    return [];
  });
}

/** The secrets the operators write, by name, with their keys. */
export function operatorSecrets(objects: KubeObject[]): Map<string, string[]> {
  const secrets = new Map<string, string[]>();
  for (const object of objects) {
    if (object.kind === 'RabbitmqCluster') {
      secrets.set(`${object.metadata.name}-default-user`, [...rabbitmqSecretKeys, rabbitmqSecretUriKey]);
    }
    if (object.kind === 'Cluster' && object.apiVersion.startsWith('postgresql.cnpg.io/')) {
      secrets.set(`${object.metadata.name}-app`, postgresSecretKeys);
    }
  }
  return secrets;
}
