import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';

/** The built-in kinds the project ships, by `apiVersion/kind`, with the validator of their upstream schema. */
const models = new Map<string, { prototype: { validate(): void } }>(
  [Deployment, HorizontalPodAutoscaler, CronJob, Job, PodDisruptionBudget, ConfigMap, Namespace, Pod, Service].map(
    (model) => [`${model.apiVersion}/${model.kind}`, model],
  ),
);

export function isCoreKind(apiVersion: string, kind: string): boolean {
  return models.has(`${apiVersion}/${kind}`);
}

/**
 * fieldsNeverRead runs a validator over the object through proxies and lists the fields it never
 * looked at. kubernetes-models checks types and required fields but, like the OpenAPI document it
 * is generated from, lets unknown fields through, where the API server's strict field validation
 * (kubectl's default) rejects them. Its validators read every field their schema declares, so a
 * field never read is one the schema does not have.
 */
function fieldsNeverRead(object: object, validate: (data: unknown) => void): string[] {
  const visited = new Map<object, { path: string; read: Set<string> }>();
  const track = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const visit = visited.get(value) ?? { path, read: new Set<string>() };
    visited.set(value, visit);
    return new Proxy(value, {
      get(target, key, receiver) {
        const child: unknown = Reflect.get(target, key, receiver);
        if (typeof key !== 'string' || !Object.hasOwn(target, key)) return child;
        visit.read.add(key);
        return track(child, `${path}/${key}`);
      },
    });
  };
  validate(track(object, ''));
  return [...visited].flatMap(([value, { path, read }]) =>
    Array.isArray(value)
      ? []
      : Object.keys(value)
          .filter((key) => !read.has(key))
          .map((key) => `${path}/${key}`),
  );
}

/** coreProblems lists what is wrong with a built-in object: schema errors, then unknown fields. */
export function coreProblems(object: Record<string, unknown>): string[] {
  const model = models.get(`${String(object.apiVersion)}/${String(object.kind)}`);
  if (!model) return [`no schema for ${String(object.apiVersion)} ${String(object.kind)}`];
  const validate = (data: unknown) => model.prototype.validate.call(data);
  try {
    return fieldsNeverRead(object, validate).map((path) => `${path}: unknown field`);
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

/** metadataProblems validates a custom resource's metadata as the API server would any object's. */
export function metadataProblems(metadata: unknown): string[] {
  return coreProblems({ apiVersion: 'v1', kind: 'ConfigMap', metadata }).map((problem) =>
    problem.replace(/^\/metadata/, 'metadata'),
  );
}
