import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { describe, expect, it } from 'vitest';
import { appNodeFlags } from '../../apps/cli/src/compiled.js';
import { configLoaders, envOf, variablesIgnored } from './support/app-config.js';
import { renderChart, scenarios } from './support/helm.js';
import { operatorSecrets, operatorServices } from './support/operators.js';
import { imageRuns } from './support/image.js';
import { manifestsIn, namespace, repoPath, type KubeObject } from './support/repo.js';
import { appOf, containersOf, podsOf, servicesOf, type PodShape } from './support/workloads.js';

const k8s = manifestsIn('k8s');
const secrets = operatorSecrets(k8s);

/** Every container of every pod a scenario renders, with the app it runs. */
function containers(scenario: string) {
  const objects = renderChart(scenario);
  const pods = podsOf(objects, namespace);
  // The chart's own Services, the operators', and those of k8s/ (the trace collector, Jaeger).
  const services = [
    ...servicesOf(objects, namespace),
    ...operatorServices(k8s, namespace),
    ...servicesOf(k8s, namespace),
  ];
  return {
    services,
    entries: pods.flatMap((pod) => containersOf(pod).map((container) => ({ pod, container, app: appOf(container) }))),
  };
}

const appFolders = readdirSync(repoPath('apps')).filter((name) => existsSync(repoPath('apps', name, 'src', 'main.ts')));

describe.each(scenarios)('chart, %s scenario: containers agree with the apps', (scenario) => {
  const { entries, services } = containers(scenario);
  // The CLI runs only as the migrations hook, checked on its own below.
  const appContainers = entries.filter((entry) => entry.app !== undefined && entry.app !== 'cli');

  it('runs every app (the CLI as the migrations hook), each from the image by its entry point', () => {
    // The CLI runs as the migrations hook; the synchronous baseline exists only for `make bench`; the
    // consumers' host runs them together on one machine, where the chart runs each apart for KEDA.
    const expected = appFolders.filter((app) => !['cli', 'baseline', 'consumers'].includes(app)).sort();
    expect([...new Set(appContainers.map((entry) => entry.app))].sort()).toEqual(expected);
    for (const { container } of entries) {
      const entryPoint = container.args?.[0] ?? '';
      if (container.command) continue; // the helm test pod runs node itself
      expect(imageRuns(entryPoint), `${entryPoint} is compiled into the image`).toBe(true);
    }
    // The image runs node as make run does.
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(readFileSync(repoPath('Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', ...appNodeFlags]);
  });

  it('sets only variables the app reads, with values its config accepts', () => {
    for (const { pod, container, app } of appContainers) {
      const env = envOf(container);
      const names = (container.env ?? []).map((variable) => variable.name);
      expect(new Set(names).size, `${pod.owner}: no variable set twice`).toBe(names.length);
      // OTEL_* are read by the OpenTelemetry SDK itself (packages/telemetry/src/tracing.ts), by its standard.
      const appEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('OTEL_')));
      expect(variablesIgnored(configLoaders[app!]!, appEnv), `${pod.owner}: variables ${app} never reads`).toEqual([]);
    }
  });

  it('listens on 0.0.0.0 at the port the container declares, probed on /readyz and /healthz', () => {
    for (const { pod, container, app } of appContainers) {
      const config = configLoaders[app!]!(envOf(container)) as { host: string; port: number; once?: boolean };
      if (config.once) {
        expect(container.ports, `${pod.owner}: a one-pass job serves nothing`).toBeUndefined();
        continue;
      }
      expect(config.host, pod.owner).toBe('0.0.0.0');
      expect(container.ports, pod.owner).toEqual([{ name: 'http', containerPort: config.port, protocol: 'TCP' }]);
      expect(container.readinessProbe?.httpGet, pod.owner).toEqual({ path: '/readyz', port: 'http' });
      expect(container.livenessProbe?.httpGet, pod.owner).toEqual({ path: '/healthz', port: 'http' });
      expect(container.startupProbe?.httpGet, pod.owner).toEqual({ path: '/healthz', port: 'http' });
    }
  });

  it('gives a stopping pod the time its app needs to drain', () => {
    for (const { pod, container, app } of appContainers) {
      if (pod.owner.startsWith('CronJob/')) continue;
      const config = configLoaders[app!]!(envOf(container)) as { shutdownGraceMs?: number };
      const preStopSeconds = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      const drainSeconds = (config.shutdownGraceMs ?? 0) / 1000;
      // After preStop, SIGTERM; the app drains for SHUTDOWN_GRACE_MS, then closes its connections.
      const needed = preStopSeconds + drainSeconds + 5;
      expect(pod.spec.terminationGracePeriodSeconds ?? 30, pod.owner).toBeGreaterThanOrEqual(needed);
    }
  });

  it('runs as a non-root user on a read-only root filesystem, with a writable /tmp', () => {
    for (const { pod, container } of entries) {
      expect(pod.spec.securityContext?.runAsNonRoot, pod.owner).toBe(true);
      expect(pod.spec.automountServiceAccountToken, pod.owner).toBe(false);
      expect(container.securityContext, pod.owner).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.image, pod.owner).toMatch(/^surety\/surety:(?!latest$)\S+$/);
      expect(Object.keys(container.resources?.requests ?? {}).sort(), pod.owner).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources?.limits ?? {}).sort(), pod.owner).toEqual(['cpu', 'memory']);
      if (container.command) continue;
      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      expect(pod.spec.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir, pod.owner).toBeDefined();
    }
  });

  it("reads the broker's and the database's URLs from the secrets their operators write", () => {
    for (const { pod, container } of entries) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (!ref || ['ADMIN_TOKEN'].includes(variable.name)) continue;
        expect(secrets.get(ref.name ?? ''), `${pod.owner} ${variable.name}: secret ${ref.name}`).toContain(ref.key);
      }
    }
  });

  it('calls other apps at addresses of Services it renders', () => {
    for (const { pod, container } of entries) {
      for (const variable of container.env ?? []) {
        if (!/^https?:\/\//.test(variable.value ?? '')) continue;
        const url = new URL(variable.value!);
        const [name, ns = namespace] = url.hostname.split('.');
        const service = services.find((candidate) => candidate.name === name && candidate.namespace === ns);
        const where = `${pod.owner} ${variable.name}=${variable.value}`;
        expect(service, where).toBeDefined();
        expect(
          service!.ports.map((port) => port.port),
          where,
        ).toContain(Number(url.port || 80));
      }
    }
  });
});

describe('the checks themselves', () => {
  it('a variable the app does not read is caught', () => {
    const objects = renderChart('default', ['--set-string', 'components.payment.env.PAYMENT_TIMEOUT_MS=5000']);
    const payment = podsOf(objects, namespace).find((pod) => pod.owner === 'Deployment/payment')!;
    expect(variablesIgnored(configLoaders.payment!, envOf(payment.spec.containers[0]!))).toEqual([
      'PAYMENT_TIMEOUT_MS',
    ]);
  });

  it('an entry point the image does not compile is caught', () => {
    expect(imageRuns('dist/payment.js')).toBe(true);
    expect(imageRuns('apps/payment/src/main.ts')).toBe(false);
    expect(imageRuns('dist/handler.js')).toBe(false);
    expect(imageRuns('dist/crashing-consumer.js')).toBe(false);
  });
});

describe('the migrations hook', () => {
  const migrations = podsOf(renderChart('default'), namespace).find(
    (pod) => pod.owner === 'Job/migrations',
  ) as PodShape;
  const container = migrations.spec.containers[0] as IContainer;

  it('runs `surety migrate` from the image with the database URL, before install and upgrade', () => {
    expect(container.args).toEqual(['dist/cli.js', 'migrate']);
    expect(imageRuns('dist/cli.js')).toBe(true);
    // The CLI reads DATABASE_URL itself (apps/cli/src/main.ts); nothing else.
    expect(readFileSync(repoPath('apps/cli/src/main.ts'), 'utf8')).toContain('process.env.DATABASE_URL');
    expect((container.env ?? []).map((variable) => variable.name)).toEqual(['DATABASE_URL']);
    const job = renderChart('default').find((object) => object.kind === 'Job')!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
  });

  it('stays after it succeeds, so its logs can be read, until the next hook or its TTL removes it', () => {
    for (const scenario of scenarios) {
      const job = renderChart(scenario).find((object) => object.kind === 'Job') as
        (KubeObject & { spec: { ttlSecondsAfterFinished?: number } }) | undefined;
      expect(job?.metadata.annotations?.['helm.sh/hook-delete-policy'], scenario).toBe('before-hook-creation');
      expect(job?.spec.ttlSecondsAfterFinished, scenario).toBeGreaterThanOrEqual(3600);
    }
  });
});

describe('the helm test', () => {
  const pod = renderChart('default').find((object) => object.metadata.annotations?.['helm.sh/hook'] === 'test');

  it('places an order through the api Service and waits for CONFIRMED, reading only the variables it is given', () => {
    const [container] = podsOf([pod!], namespace)[0]!.spec.containers;
    const script = container!.args!.join('\n');
    expect(script).toContain("order.status === 'CONFIRMED'");
    const read = [...script.matchAll(/process\.env\.([A-Z_]+)/g)].map((match) => match[1]).sort();
    expect((container!.env ?? []).map((variable) => variable.name).sort()).toEqual([...new Set(read)]);
  });

  it('is not deleted when it succeeds, so `helm test --logs` can read its logs (helm issue 9098)', () => {
    expect(pod!.metadata.annotations?.['helm.sh/hook-delete-policy']).toBe('before-hook-creation');
  });
});
