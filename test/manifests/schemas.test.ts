import { describe, expect, it } from 'vitest';
import { renderChart, scenarios } from './support/helm.js';
import { manifestsIn, type KubeObject } from './support/repo.js';
import { problemsOf } from './support/validate.js';

const folders = ['k8s', 'keda', 'chaos-mesh'];

describe('every manifest is valid against the schema a cluster would apply', () => {
  it.each(scenarios)('chart, %s scenario: every rendered object', (scenario) => {
    const objects = renderChart(scenario);
    expect(objects.length).toBeGreaterThan(0);
    expect(report(objects)).toEqual([]);
  });

  it.each(folders)('%s/: every object', (folder) => {
    const objects = manifestsIn(folder);
    expect(objects.length).toBeGreaterThan(0);
    expect(report(objects)).toEqual([]);
  });
});

describe('the validation itself catches what a cluster would refuse', () => {
  const deployment = renderChart('default').find((o) => o.kind === 'Deployment' && o.metadata.name === 'payment')!;
  const scaledObject = manifestsIn('keda').find((o) => o.kind === 'ScaledObject')!;

  it('a built-in object with a misspelt field', () => {
    const broken = structuredClone(deployment) as KubeObject & {
      spec: { template: { spec: Record<string, unknown> } };
    };
    broken.spec.template.spec.terminationGracePeriod = 30;
    expect(problemsOf(broken)).toEqual(['/spec/template/spec/terminationGracePeriod: unknown field']);
  });

  it('a built-in object with a field of the wrong type', () => {
    const broken = structuredClone(deployment) as KubeObject & { spec: Record<string, unknown> };
    broken.spec.replicas = 'two';
    expect(problemsOf(broken).join('\n')).toMatch(/replicas must be integer/);
  });

  it('a custom resource with a misspelt field', () => {
    const broken = structuredClone(scaledObject) as KubeObject & { spec: Record<string, unknown> };
    broken.spec.maxReplicas = 5;
    expect(problemsOf(broken).join('\n')).toMatch(/must NOT have additional properties \(maxReplicas\)/);
  });

  it('a custom resource with a field of the wrong type', () => {
    const broken = structuredClone(scaledObject) as KubeObject & { spec: Record<string, unknown> };
    broken.spec.minReplicaCount = '2';
    expect(problemsOf(broken).join('\n')).toMatch(/minReplicaCount must be integer/);
  });

  it('a kind nobody defines', () => {
    expect(problemsOf({ ...scaledObject, kind: 'ScaledThing' }).join('\n')).toMatch(/no CRD .* defines/);
  });
});

function report(objects: KubeObject[]): string[] {
  return objects.flatMap((object) =>
    problemsOf(object).map((problem) => `${object.source} ${object.kind}/${object.metadata.name}: ${problem}`),
  );
}
