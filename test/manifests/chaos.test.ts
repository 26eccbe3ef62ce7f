import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChart } from './support/helm.js';
import { operatorPods, operatorServices } from './support/operators.js';
import { manifestsIn, namespace, repoPath, type KubeObject } from './support/repo.js';
import { chaosTargets, type ChaosSelector } from './support/selectors.js';
import { podsOf, servicesOf } from './support/workloads.js';

const k8s = manifestsIn('k8s');
const chart = renderChart('default');
/** Every pod the cluster would run: the chart's, k8s/'s, and the operators' for k8s/'s clusters. */
const pods = [...podsOf(chart, namespace), ...podsOf(k8s, namespace), ...operatorPods(k8s, namespace)];
const services = [...servicesOf(chart, namespace), ...servicesOf(k8s, namespace), ...operatorServices(k8s, namespace)];
const experiments = readdirSync(repoPath('chaos-mesh'))
  .filter((file) => file.endsWith('.yaml'))
  .sort();

/** selectorsIn finds every pod selector in an experiment: its own, its target's, and those of a Workflow's or Schedule's faults. */
function selectorsIn(value: unknown, path = ''): { path: string; selector: ChaosSelector }[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === 'selector' && !Array.isArray(value)
      ? [{ path: `${path}/selector`, selector: child as ChaosSelector }]
      : selectorsIn(child, `${path}/${key}`),
  );
}

/** The invariants docs/architecture.md numbers, which every experiment's header must cite. */
function invariantNumbers(): number[] {
  const architecture = readFileSync(repoPath('docs', 'architecture.md'), 'utf8');
  const section = /## Invariants[^\n]*\n([\s\S]*?)\n## /.exec(architecture)?.[1] ?? '';
  return [...section.matchAll(/^(\d+)\. /gm)].map((match) => Number(match[1]));
}

describe.each(experiments)('chaos-mesh/%s', (file) => {
  const objects = manifestsIn('chaos-mesh').filter((object) => object.source === `chaos-mesh/${file}`);
  const header = /^(#.*\n)+/.exec(readFileSync(repoPath('chaos-mesh', file), 'utf8'))?.[0] ?? '';

  it('says what it breaks, which invariant it tests, and what recovery looks like', () => {
    expect(header).toMatch(/^# Breaks: /m);
    expect(header).toMatch(/^# Recovery: /m);
    const cited = [...header.matchAll(/invariants? (\d)/g)].map((match) => Number(match[1]));
    expect(cited.length, 'cites an invariant of docs/architecture.md').toBeGreaterThan(0);
    for (const number of cited) expect(invariantNumbers()).toContain(number);
  });

  it('selects pods that exist: every selector matches labels the chart or an operator puts on a pod', () => {
    expect(objects).toHaveLength(1);
    const object = objects[0] as KubeObject & { spec: unknown };
    expect(object.metadata.namespace).toBe(namespace);
    const selectors = selectorsIn(object.spec);
    expect(selectors.length).toBeGreaterThan(0);
    for (const { path, selector } of selectors) {
      const where = `${object.kind}/${object.metadata.name} ${path} ${JSON.stringify(selector)}`;
      expect(
        chaosTargets(selector, pods, namespace).map((pod) => pod.owner),
        where,
      ).not.toEqual([]);
    }
  });

  it('sends load, if any, to a Service that exists', () => {
    const urls = JSON.stringify(objects).match(/https?:\/\/[^"\s]+/g) ?? [];
    for (const text of urls) {
      const url = new URL(text);
      const [name, ns = namespace] = url.hostname.split('.');
      const service = services.find((candidate) => candidate.name === name && candidate.namespace === ns);
      expect(
        service?.ports.map((port) => port.port),
        text,
      ).toContain(Number(url.port || 80));
    }
  });
});

describe('the selector check itself', () => {
  it('a label nobody puts on a pod matches nothing', () => {
    const selector = { namespaces: [namespace], labelSelectors: { 'app.kubernetes.io/name': 'payments' } };
    expect(chaosTargets(selector, pods, namespace)).toEqual([]);
  });

  it('the right label in another namespace matches nothing', () => {
    const selector = { namespaces: ['default'], labelSelectors: { 'app.kubernetes.io/name': 'payment' } };
    expect(chaosTargets(selector, pods, namespace)).toEqual([]);
  });

  it('a selector with no labels, which would pick every pod, is refused', () => {
    expect(() => chaosTargets({ namespaces: [namespace] }, pods, namespace)).toThrow(/names no labels/);
  });
});
