import type { PodShape } from './workloads.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** matchesLabels applies a Kubernetes label selector (matchLabels and matchExpressions) to a set of labels. */
export function matchesLabels(
  labels: Record<string, string>,
  matchLabels: Record<string, string> = {},
  expressions: LabelSelectorRequirement[] = [],
): boolean {
  const exact = Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
  return (
    exact &&
    expressions.every(({ key, operator, values = [] }) => {
      const value = labels[key];
      switch (operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          throw new Error(`unknown selector operator ${operator}`);
      }
    })
  );
}

/** A Chaos Mesh pod selector, limited to the fields the experiments use. */
export interface ChaosSelector {
  namespaces?: string[];
  labelSelectors?: Record<string, string>;
  expressionSelectors?: LabelSelectorRequirement[];
  [other: string]: unknown;
}

const understood = new Set(['namespaces', 'labelSelectors', 'expressionSelectors']);

/**
 * chaosTargets lists the pods a Chaos Mesh selector picks. A selector with fields this check does
 * not model, or with no labels at all (it would pick every pod), is refused rather than trusted.
 */
export function chaosTargets(selector: ChaosSelector, pods: PodShape[], defaultNamespace: string): PodShape[] {
  const unknown = Object.keys(selector).filter((key) => !understood.has(key));
  if (unknown.length > 0) throw new Error(`selector uses ${unknown.join(', ')}, which this check does not model`);
  if (!selector.labelSelectors && !selector.expressionSelectors) throw new Error('selector names no labels');
  const namespaces = selector.namespaces ?? [defaultNamespace];
  return pods.filter(
    (pod) =>
      namespaces.includes(pod.namespace) &&
      matchesLabels(pod.labels, selector.labelSelectors, selector.expressionSelectors),
  );
}
