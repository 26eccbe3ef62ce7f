import { describe, expect, it } from 'vitest';
import {
  chartDirectory,
  helm,
  pinnedHelmVersion,
  releaseName,
  renderChart,
  renderNotes,
  scenarios,
  scenarioValues,
} from './support/helm.js';
import { namespace, type KubeObject } from './support/repo.js';
import { byKind } from './support/workloads.js';

const consumers = ['payment', 'inventory', 'saga', 'notification'];

describe('charts/surety', () => {
  it('is checked with the helm version scripts/tools.sh pins', () => {
    expect(helm(['version', '--template', '{{.Version}}'])).toBe(pinnedHelmVersion());
  });

  it('has the three scenarios CI renders', () => {
    expect(scenarios).toEqual(['default', 'minimal', 'no-keda']);
  });

  it.each(scenarios)('passes helm lint --strict with ci/%s-values.yaml', (scenario) => {
    expect(helm(['lint', '--strict', chartDirectory, '--values', scenarioValues(scenario)])).toMatch(
      /0 chart\(s\) failed/,
    );
  });

  it('refuses a misspelt key in a component, through values.schema.json', () => {
    expect(() => renderChart('default', ['--set', 'components.payment.replica=3'])).toThrow(
      /additional properties 'replica' not allowed/,
    );
  });

  it('refuses the latest tag', () => {
    expect(() => renderChart('default', ['--set', 'image.tag=latest'])).toThrow(/image\/tag/);
  });

  it('relay.mode=cdc runs the CDC relay and leaves every writer’s events to it; polling sets neither', () => {
    const envOf = (objects: ReturnType<typeof renderChart>, name: string) =>
      (
        byKind<
          KubeObject & { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }
        >(objects, 'Deployment').find((d) => d.metadata.name === name)?.spec.template.spec.containers[0]?.env ?? []
      ).filter((variable) => variable.name === 'RELAY_MODE' || variable.name === 'OUTBOX_DISPATCH');
    const cdc = renderChart('default', ['--set', 'relay.mode=cdc']);
    expect(envOf(cdc, 'relay')).toEqual([
      { name: 'OUTBOX_DISPATCH', value: 'relay' },
      { name: 'RELAY_MODE', value: 'cdc' },
    ]);
    for (const writer of ['api', 'payment', 'inventory', 'saga', 'notification'])
      expect(envOf(cdc, writer), writer).toEqual([{ name: 'OUTBOX_DISPATCH', value: 'relay' }]);
    const polling = renderChart('default');
    for (const app of ['relay', 'api', 'payment']) expect(envOf(polling, app), app).toEqual([]);
    expect(() => renderChart('default', ['--set', 'relay.mode=wal'])).toThrow(/relay\/mode|relay.mode|enum/);
  });

  it('renders no more than its enabled components', () => {
    const objects = renderChart('default', ['--set', 'components.notification.enabled=false']);
    expect(objects.filter((object) => object.metadata.name === 'notification')).toEqual([]);
  });
});

describe('what each scenario renders', () => {
  it('default: every consumer has a disruption budget that lets one pod go at a time', () => {
    const budgets = byKind<
      { metadata: { name: string }; spec: { maxUnavailable: number } } & Parameters<typeof byKind>[0][number]
    >(renderChart('default'), 'PodDisruptionBudget');
    for (const consumer of consumers) {
      expect(budgets.find((budget) => budget.metadata.name === consumer)?.spec.maxUnavailable, consumer).toBe(1);
    }
  });

  it('minimal: no disruption budgets (with one pod, one would block every node drain)', () => {
    expect(byKind(renderChart('minimal'), 'PodDisruptionBudget')).toEqual([]);
  });

  it('every scenario: the migrations run as a hook before install and upgrade, the reconciler as a CronJob', () => {
    for (const scenario of scenarios) {
      const objects = renderChart(scenario);
      expect(byKind(objects, 'Job').map((job) => job.metadata.annotations?.['helm.sh/hook'])).toEqual([
        'pre-install,pre-upgrade',
      ]);
      expect(byKind(objects, 'CronJob').map((job) => job.metadata.name)).toEqual(['reconciler']);
    }
  });

  it('NOTES.txt tells where the api is and how to check the install end to end', () => {
    const notes = renderNotes();
    expect(notes).toContain('http://127.0.0.1:8080');
    expect(notes).toContain(`helm test ${releaseName} -n ${namespace}`);
  });
});
