import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const chaosMeshApiVersion = 'chaos-mesh.org/v1alpha1';

/** A Chaos Mesh object as chaos-mesh/ writes it and as the drill creates it. */
export interface ChaosObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** Which drill run an object belongs to: its labels say it, so a leftover can be found and deleted. */
export interface DrillRun {
  drill: string;
  /** Short and unique per run; suffixes every object's name. */
  run: string;
}

/** drillLabels are the labels on everything a drill run creates on the cluster. */
export function drillLabels({ drill, run }: DrillRun): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': 'surety',
    'app.kubernetes.io/managed-by': 'surety-drill',
    'surety/drill': drill,
    'surety/drill-run': run,
  };
}

/** readExperiment parses chaos-mesh/<name>.yaml, refusing anything but one Chaos Mesh object. */
export function readExperiment(root: string, name: string): ChaosObject {
  const file = join(root, 'chaos-mesh', `${name}.yaml`);
  const objects: unknown[] = [];
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const value: unknown = document.toJS();
    if (value !== null) objects.push(value);
  }
  const object = objects[0] as Partial<ChaosObject> | undefined;
  if (objects.length !== 1 || !object?.kind || !object.metadata?.name || typeof object.spec !== 'object')
    throw new Error(`${file}: expected one object with a kind, a name and a spec`);
  if (object.apiVersion !== chaosMeshApiVersion)
    throw new Error(`${file}: ${object.apiVersion ?? 'no apiVersion'} is not ${chaosMeshApiVersion}`);
  return object as ChaosObject;
}

/** Chaos Mesh takes a Go duration; a fault shorter than a second still lasts one. */
export function chaosDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/** Every pod selector in a spec (its own, its target's, a Schedule's or Workflow's), with namespaces set. */
function withNamespace(value: unknown, namespace: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withNamespace(item, namespace));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => {
      const isSelector = key === 'selector' && child !== null && typeof child === 'object' && !Array.isArray(child);
      return [
        key,
        isSelector
          ? { ...(withNamespace(child, namespace) as object), namespaces: [namespace] }
          : withNamespace(child, namespace),
      ];
    }),
  );
}

/**
 * experimentFor builds the object a drill run creates from an experiment of chaos-mesh/: in the
 * given namespace, selecting pods there, named after the experiment and the run, labelled with
 * the drill and the run, and lasting the drill's fault time where the experiment has a duration.
 */
export function experimentFor(
  template: ChaosObject,
  options: DrillRun & { namespace: string; faultMs: number },
): ChaosObject {
  const name = `${template.metadata.name}-${options.run}`;
  if (name.length > 63) throw new Error(`${name}: a Kubernetes name has 63 characters at most`);
  const spec = withNamespace(structuredClone(template.spec), options.namespace) as Record<string, unknown>;
  if ('duration' in spec) spec.duration = chaosDuration(options.faultMs);
  return {
    apiVersion: template.apiVersion,
    kind: template.kind,
    metadata: { name, namespace: options.namespace, labels: drillLabels(options) },
    spec,
  };
}
