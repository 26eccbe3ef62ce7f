import type { ScalingParameters } from './scaling-rule.js';

/**
 * forOneMachine adapts a cluster's scaling bounds to the processes of `make run`, which all share
 * one machine's cores: beyond one replica per core, replicas of a consumer only contend for them
 * (a batch per replica keeps a core busy), and the supervisor restarts a dead replica, so the
 * cluster's minimum of two for availability is one here. KEDA's bounds on a cluster are untouched.
 */
export function forOneMachine(parameters: ScalingParameters, cores: number): ScalingParameters {
  const maxReplicas = Math.max(1, Math.min(parameters.maxReplicas, cores));
  return {
    ...parameters,
    minReplicas: Math.min(parameters.minReplicas, 1),
    maxReplicas,
  };
}
