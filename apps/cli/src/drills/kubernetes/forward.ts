import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { CoreV1Api, PortForward, type KubeConfig, type V1Pod, type V1Service } from '@kubernetes/client-node';

/** The part of the forward's WebSocket used here. */
interface Channel {
  on(event: 'close' | 'error', listener: () => void): void;
  close(): void;
}

/** A local port that reaches a Service's port in the cluster. */
export interface Forward {
  port: number;
  close(): Promise<void>;
}

/** The pod and container port a connection to `service:port` reaches now: a ready pod behind it. */
async function readyBackend(
  core: CoreV1Api,
  namespace: string,
  service: string,
  port: number,
): Promise<{ pod: string; port: number }> {
  const found: V1Service = await core.readNamespacedService({ name: service, namespace });
  const selector = Object.entries(found.spec?.selector ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const servicePort = found.spec?.ports?.find((candidate) => candidate.port === port);
  if (!selector || !servicePort) throw new Error(`service ${service} has no selector or no port ${port}`);
  const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  const ready = pods.items.find((pod: V1Pod) =>
    pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'),
  );
  if (!ready?.metadata?.name) throw new Error(`no ready pod behind service ${service}`);
  const target = servicePort.targetPort ?? port;
  if (typeof target === 'number') return { pod: ready.metadata.name, port: target };
  // A named target port is the container port of that name.
  const named = ready.spec?.containers
    .flatMap((container) => container.ports ?? [])
    .find((containerPort) => containerPort.name === target);
  if (!named) throw new Error(`pod ${ready.metadata.name} has no port named ${target}`);
  return { pod: ready.metadata.name, port: named.containerPort };
}

/**
 * forwardService listens on a free local port and forwards each connection, through the API
 * server, to a ready pod behind the Service, chosen when the connection opens. Unlike
 * `kubectl port-forward svc/…`, which holds to one pod, a new connection after a pod's restart
 * or a failover reaches the pod that serves now.
 */
export async function forwardService(
  kubeConfig: KubeConfig,
  namespace: string,
  service: string,
  port: number,
): Promise<Forward> {
  const portForward = new PortForward(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const errors = new Writable({
      write(chunk: Buffer, _encoding, done) {
        // The error channel opens with the port number, which the client strips, leaving an empty chunk.
        if (chunk.length > 0) socket.destroy(new Error(`${service}:${port}: ${chunk.toString('utf8')}`));
        done();
      },
    });
    readyBackend(core, namespace, service, port)
      .then((backend) => portForward.portForward(namespace, backend.pod, [backend.port], socket, errors, socket))
      .then((opened) => {
        // Without retries, portForward resolves to the WebSocket itself.
        const connection = opened as unknown as Channel;
        connection.on('close', () => socket.destroy());
        connection.on('error', () => socket.destroy());
        socket.on('close', () => connection.close());
      })
      .catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
