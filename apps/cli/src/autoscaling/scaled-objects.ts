import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { hpaDefaults, kedaDefaults, type ScalingParameters, type ScalingRules } from './scaling-rule.js';

interface ScaledObjectDocument {
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    scaleTargetRef?: { name?: string };
    pollingInterval?: number;
    cooldownPeriod?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    advanced?: { horizontalPodAutoscalerConfig?: { behavior?: { scaleUp?: unknown; scaleDown?: unknown } } };
    triggers?: { type?: string; metadata?: Record<string, string> }[];
  };
}

function rules(found: unknown, defaults: ScalingRules): ScalingRules {
  const given = (found ?? {}) as Partial<ScalingRules>;
  return {
    stabilizationWindowSeconds: given.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: given.selectPolicy ?? defaults.selectPolicy,
    policies: given.policies ?? defaults.policies,
  };
}

/** scalingParametersOf reads one ScaledObject with a rabbitmq QueueLength trigger, KEDA's and the HPA's defaults filled in. */
export function scalingParametersOf(document: ScaledObjectDocument, source: string): ScalingParameters {
  const spec = document.spec ?? {};
  const consumer = spec.scaleTargetRef?.name;
  const trigger = spec.triggers?.find((t) => t.type === 'rabbitmq');
  const queueName = trigger?.metadata?.queueName;
  if (!consumer || !queueName)
    throw new Error(`${source}: a ScaledObject needs scaleTargetRef.name and a rabbitmq trigger`);
  const mode = trigger.metadata?.mode ?? 'QueueLength';
  if (mode !== 'QueueLength') throw new Error(`${source}: only mode QueueLength is scaled locally (found ${mode})`);
  const target = Number(trigger.metadata?.value);
  if (!(target > 0)) throw new Error(`${source}: the trigger's value must be a positive number`);
  const behavior = spec.advanced?.horizontalPodAutoscalerConfig?.behavior ?? {};
  return {
    consumer,
    queueName,
    target,
    activationTarget: Number(trigger.metadata?.activationValue ?? kedaDefaults.activationTarget),
    minReplicas: spec.minReplicaCount ?? kedaDefaults.minReplicas,
    maxReplicas: spec.maxReplicaCount ?? kedaDefaults.maxReplicas,
    pollingIntervalSeconds: spec.pollingInterval ?? kedaDefaults.pollingIntervalSeconds,
    cooldownPeriodSeconds: spec.cooldownPeriod ?? kedaDefaults.cooldownPeriodSeconds,
    tolerance: hpaDefaults.tolerance,
    scaleUp: rules(behavior.scaleUp, hpaDefaults.scaleUp),
    scaleDown: rules(behavior.scaleDown, hpaDefaults.scaleDown),
  };
}

/** readScaledObjects reads every ScaledObject in a folder (keda/), the one source of the scaling parameters. */
export function readScaledObjects(folder: string): ScalingParameters[] {
  const found: ScalingParameters[] = [];
  for (const file of readdirSync(folder)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const document of parseAllDocuments(readFileSync(join(folder, file), 'utf8'))) {
      const value = document.toJS() as ScaledObjectDocument | null;
      if (value?.kind === 'ScaledObject') found.push(scalingParametersOf(value, file));
    }
  }
  return found;
}
