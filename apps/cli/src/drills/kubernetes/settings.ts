import type { V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import type { AppName } from '../../apps.js';
import type { Drill } from '../catalogue.js';
import type { AppSettings } from './mapping.js';

/** The chart's Deployments (charts/surety/values.yaml), each with one container named after its app; the reconciler is a CronJob. */
export const clusterDeployments: AppName[] = [
  'gateway',
  'relay',
  'payment',
  'inventory',
  'saga',
  'notification',
  'api',
];

/** One operation of a JSON patch (RFC 6902). */
export type JsonPatchOperation =
  { op: 'test' | 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/**
 * drillSettings gathers what a drill asks of the apps as settings per Deployment: its own env,
 * its settings for every app, and, for the contrast run, a gateway that ignores idempotency keys.
 */
export function drillSettings(drill: Drill, options: { gatewayIgnoresKeys: boolean }): AppSettings {
  const settings: AppSettings = {};
  for (const app of clusterDeployments) {
    const merged = { ...drill.everyApp, ...drill.env?.[app] };
    if (app === 'gateway' && options.gatewayIgnoresKeys) merged.GATEWAY_HONOUR_IDEMPOTENCY_KEYS = 'false';
    if (Object.keys(merged).length > 0) settings[app] = merged;
  }
  return settings;
}

/** withSettings writes settings over a container's env: a variable already there keeps its place, a new one is appended. */
export function withSettings(env: V1EnvVar[], settings: Record<string, string>): V1EnvVar[] {
  const written = env.map((variable) =>
    variable.name in settings ? { name: variable.name, value: settings[variable.name] } : variable,
  );
  const added = Object.entries(settings)
    .filter(([name]) => !env.some((variable) => variable.name === name))
    .map(([name, value]) => ({ name, value }));
  return [...written, ...added];
}

function containerIndex(deployment: V1Deployment, container: string): number {
  const index = deployment.spec?.template.spec?.containers.findIndex((c) => c.name === container) ?? -1;
  if (index < 0) throw new Error(`Deployment ${deployment.metadata?.name} has no container ${container}`);
  return index;
}

/** containerEnv reads the env of a Deployment's named container, as it is now. */
export function containerEnv(deployment: V1Deployment, container: string): V1EnvVar[] | undefined {
  return deployment.spec?.template.spec?.containers[containerIndex(deployment, container)]?.env;
}

/**
 * envPatch builds the JSON patch that sets the env of a Deployment's named container (removing it
 * when env is undefined). It first tests the container's name at its index, so a Deployment changed
 * in between is refused rather than patched in the wrong place.
 */
export function envPatch(
  deployment: V1Deployment,
  container: string,
  env: V1EnvVar[] | undefined,
): JsonPatchOperation[] {
  const path = `/spec/template/spec/containers/${containerIndex(deployment, container)}`;
  const test: JsonPatchOperation = { op: 'test', path: `${path}/name`, value: container };
  if (env === undefined)
    return containerEnv(deployment, container) ? [test, { op: 'remove', path: `${path}/env` }] : [];
  // add replaces a member that exists and creates one that does not (RFC 6902, 4.1).
  return [test, { op: 'add', path: `${path}/env`, value: env }];
}

/**
 * rolloutComplete says whether a Deployment has finished rolling out, as `kubectl rollout status`
 * judges it: the controller saw the latest spec, every replica is updated and available, and no
 * old replica is left.
 */
export function rolloutComplete(deployment: V1Deployment): boolean {
  const status = deployment.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) return false;
  if (updated < (deployment.spec?.replicas ?? 1)) return false;
  if ((status.replicas ?? 0) > updated) return false;
  return (status.availableReplicas ?? 0) >= updated;
}
