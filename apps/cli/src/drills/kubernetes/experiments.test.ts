import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chaosDuration, drillLabels, experimentFor, readExperiment } from './experiments.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const run = { drill: 'broker-restart', run: 'a1b2c3' };
const build = (experiment: string, namespace = 'drills', faultMs = 20_000) =>
  experimentFor(readExperiment(root, experiment), { ...run, namespace, faultMs });

describe('experimentFor', () => {
  it('builds a PodChaos with its own name, namespace, labels, selector and the drill’s fault time', () => {
    const object = build('failure-rabbitmq');
    expect(object).toEqual({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'PodChaos',
      metadata: {
        name: 'failure-rabbitmq-a1b2c3',
        namespace: 'drills',
        labels: {
          'app.kubernetes.io/part-of': 'surety',
          'app.kubernetes.io/managed-by': 'surety-drill',
          'surety/drill': 'broker-restart',
          'surety/drill-run': 'a1b2c3',
        },
      },
      spec: {
        action: 'pod-failure',
        mode: 'all',
        selector: { namespaces: ['drills'], labelSelectors: { 'app.kubernetes.io/name': 'rabbitmq' } },
        duration: '20s',
      },
    });
  });

  it('leaves a one-shot pod kill without a duration, and selects the primary only', () => {
    const object = build('kill-postgres-primary', 'surety', 3_000);
    expect(object.spec.duration).toBeUndefined();
    expect(object.spec.selector).toEqual({
      namespaces: ['surety'],
      labelSelectors: { 'cnpg.io/cluster': 'surety-pg', 'cnpg.io/instanceRole': 'primary' },
    });
  });

  it('sets the namespace of the selectors nested in a Schedule and of a NetworkChaos target', () => {
    const schedule = build('schedule-kill-consumers');
    expect(schedule.kind).toBe('Schedule');
    expect(schedule.spec.schedule).toBe('@every 1s');
    expect((schedule.spec.podChaos as { selector: unknown }).selector).toEqual({
      namespaces: ['drills'],
      labelSelectors: { 'app.kubernetes.io/part-of': 'surety', 'app.kubernetes.io/component': 'consumer' },
    });
    const network = build('loss-gateway', 'drills', 3_000);
    expect((network.spec.selector as { namespaces: string[] }).namespaces).toEqual(['drills']);
    expect((network.spec.target as { selector: { namespaces: string[] } }).selector.namespaces).toEqual(['drills']);
    expect(network.spec.duration).toBe('3s');
  });

  it('does not change the template it is built from', () => {
    const template = readExperiment(root, 'failure-rabbitmq');
    const before = structuredClone(template);
    experimentFor(template, { ...run, namespace: 'drills', faultMs: 1_000 });
    expect(template).toEqual(before);
  });

  it('gives every run a name of its own', () => {
    const other = experimentFor(readExperiment(root, 'failure-rabbitmq'), {
      ...run,
      run: 'ffffff',
      namespace: 'drills',
      faultMs: 1_000,
    });
    expect(other.metadata.name).not.toBe(build('failure-rabbitmq').metadata.name);
    expect(other.metadata.labels).toEqual(drillLabels({ ...run, run: 'ffffff' }));
  });
});

describe('readExperiment', () => {
  it('refuses a file that is not one Chaos Mesh object', () => {
    const folder = mkdtempSync(join(tmpdir(), 'surety-chaos-'));
    mkdirSync(join(folder, 'chaos-mesh'));
    writeFileSync(
      join(folder, 'chaos-mesh', 'deployment.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n',
    );
    writeFileSync(
      join(folder, 'chaos-mesh', 'two.yaml'),
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: a}\nspec: {}\n---\napiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: b}\nspec: {}\n',
    );
    expect(() => readExperiment(folder, 'deployment')).toThrow(/is not chaos-mesh.org\/v1alpha1/);
    expect(() => readExperiment(folder, 'two')).toThrow(/expected one object/);
  });
});

describe('chaosDuration', () => {
  it('rounds up to whole seconds, one at least', () => {
    expect(chaosDuration(3_000)).toBe('3s');
    expect(chaosDuration(2_500)).toBe('3s');
    expect(chaosDuration(0)).toBe('1s');
  });
});
