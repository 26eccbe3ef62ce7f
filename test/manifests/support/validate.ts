import { coreProblems, isCoreKind, metadataProblems } from './core-schemas.js';
import { crdProblems } from './crd-schemas.js';
import type { KubeObject } from './repo.js';

/**
 * problemsOf checks an object the way a cluster would: a built-in kind against the Kubernetes
 * OpenAPI schema (kubernetes-models), a custom resource against its CRD; an unknown kind is a problem.
 */
export function problemsOf(object: KubeObject): string[] {
  // What the cluster would receive: the object without the note of where it came from.
  const manifest: Record<string, unknown> = { ...object };
  delete manifest.source;
  if (isCoreKind(object.apiVersion, object.kind)) return coreProblems(manifest);
  return [...metadataProblems(object.metadata), ...crdProblems(manifest)];
}
