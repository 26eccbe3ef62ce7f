import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoPath, sourceFiles } from './support/repo.js';

interface Panel {
  title: string;
  datasource: { uid: string };
  targets: { expr: string; datasource: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(repoPath('observability', 'grafana', 'surety.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};
const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));

describe('the Grafana dashboard', () => {
  it('shows what an operator needs at a glance', () => {
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join('\n');
    for (const topic of [
      'per second',
      'latency',
      'queue depth',
      'consumers per queue',
      'dead-letter',
      'retries',
      'outbox',
      'replicas',
    ]) {
      expect(titles).toContain(topic);
    }
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe('${datasource}');
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('queries are valid PromQL (promtool checks them as recording rules)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'surety-dashboard-'));
    const file = path.join(dir, 'queries.yaml');
    const rules = queries.map((expr, i) => ({ record: `surety:dashboard_query_${i}`, expr }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const output = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
    expect(output).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it('reads only metrics that exist: ours defined in the code, the others from named exporters', () => {
    const defined = sourceFiles()
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const metrics = new Set(queries.flatMap((expr) => expr.match(/\b(?:surety|rabbitmq|kube)_[a-z_]+/g) ?? []));
    for (const metric of metrics) {
      if (metric.startsWith('surety_')) {
        expect(defined, `${metric} is defined in the code`).toContain(
          `name: '${metric.replace(/_(bucket|count|sum)$/, '')}'`,
        );
      } else {
        // The broker's per-queue families (k8s/monitoring.yaml) and kube-state-metrics (kube-prometheus-stack).
        expect([
          'rabbitmq_detailed_queue_messages',
          'rabbitmq_detailed_queue_messages_ready',
          'rabbitmq_detailed_queue_consumers',
          'kube_deployment_status_replicas_available',
        ]).toContain(metric);
      }
    }
  });
});
