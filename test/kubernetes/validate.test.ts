import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderChart, renderChartYaml, scenarios } from '../manifests/support/helm.js';
import { manifestsIn, namespace, repoPath } from '../manifests/support/repo.js';
import { crdNames, ensureNamespace, kubectl, kubectlJson, kubectlRun, prepareControlPlane } from './support/cluster.js';

// Every manifest the project ships, validated by a real API server against the upstream CRDs: what
// `kubectl apply` on a cluster would refuse or warn about fails here.
const folders = ['k8s', 'keda', 'chaos-mesh'] as const;

function yamlFiles(folder: string): string[] {
  return readdirSync(repoPath(folder))
    .filter((file) => file.endsWith('.yaml'))
    .sort();
}

const strictDryRun = ['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager', 'surety'];

/** dryRun applies a file (or YAML on stdin) server-side, strictly, without persisting it: no error and no warning. */
function expectAccepted(source: string, args: string[], input?: string): void {
  const result = kubectlRun([...strictDryRun, ...args], input);
  const output = `${source}: kubectl exited ${result.status}\n${result.stderr}${result.stdout}`;
  expect(result.status, output).toBe(0);
  expect(result.stderr, output).not.toMatch(/warning/i);
  expect(result.stdout, output).toMatch(/serverside-applied \(server dry run\)/);
}

describe('manifests against a real API server (server-side apply, dry run, strict field validation)', () => {
  beforeAll(() => {
    prepareControlPlane();
    // Objects of a namespace that does not exist are refused: create every namespace they name.
    const objects = [
      ...folders.flatMap((folder) => manifestsIn(folder)),
      ...scenarios.flatMap((scenario) => renderChart(scenario)),
    ];
    const namespaces = new Set([namespace, ...objects.flatMap((object) => object.metadata.namespace ?? [])]);
    for (const name of namespaces) ensureNamespace(name);
  });

  it('the upstream CRDs are installed and Established', () => {
    const names = crdNames();
    expect(names.length).toBeGreaterThan(10);
    const installed = kubectlJson<{
      items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[];
    }>(['get', 'crd']);
    const established = new Set(
      installed.items
        .filter((crd) => crd.status.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        .map((crd) => crd.metadata.name),
    );
    expect(names.filter((name) => !established.has(name))).toEqual([]);
  });

  for (const folder of folders) {
    describe(`${folder}/`, () => {
      it.each(yamlFiles(folder))('%s is accepted, with no warning', (file) => {
        expectAccepted(`${folder}/${file}`, ['-f', repoPath(folder, file)]);
      });
    });
  }

  it.each(scenarios)('the chart rendered with ci/%s-values.yaml is accepted, with no warning', (scenario) => {
    expectAccepted(`chart (${scenario})`, ['-f', '-'], renderChartYaml(scenario));
  });

  describe('the check can fail', () => {
    it('refuses a misspelt field of a core kind', () => {
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'misspelt', namespace },
        spec: {
          replicass: 2,
          selector: { matchLabels: { app: 'misspelt' } },
          template: {
            metadata: { labels: { app: 'misspelt' } },
            spec: { containers: [{ name: 'app', image: 'surety/surety:0.1.0' }] },
          },
        },
      };
      const result = kubectlRun([...strictDryRun, '-f', '-'], JSON.stringify(deployment));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/\.spec\.replicass: field not declared in schema/);
    });

    it('refuses a misspelt field of a custom resource (the CRD schema is enforced)', () => {
      const scaledObject = {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: 'misspelt', namespace },
        spec: { scaleTargetRef: { name: 'payment' }, maxReplicaCout: 5, triggers: [] },
      };
      const result = kubectlRun([...strictDryRun, '-f', '-'], JSON.stringify(scaledObject));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/\.spec\.maxReplicaCout: field not declared in schema/);
    });

    it('persisted nothing', () => {
      expect(kubectl(['get', 'deployments,scaledobjects', '-n', namespace, '-o', 'name'])).toBe('');
    });
  });
});
