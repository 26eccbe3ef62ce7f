/**
 * The rule KEDA and the Horizontal Pod Autoscaler apply to a queue-length trigger, as pure
 * functions: KEDA's activation (0 <-> 1) and cooldown, then the HPA's `AverageValue` calculation
 * with its tolerance, its stabilization windows and its rate policies (Kubernetes
 * `replica_calculator.go` and `horizontal.go`, `normalizeDesiredReplicasWithBehaviors`).
 */

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
}

export interface ScalingParameters {
  /** The consumer app it scales, e.g. `payment`. */
  consumer: string;
  queueName: string;
  /** Messages per replica (`value`). */
  target: number;
  /** The trigger is active when the queue holds more than this (`activationValue`). */
  activationTarget: number;
  minReplicas: number;
  maxReplicas: number;
  pollingIntervalSeconds: number;
  /** Quiet time before scaling to zero; used only when minReplicas is 0. */
  cooldownPeriodSeconds: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
  /** The HPA leaves replicas alone while usage is within this share of the target. */
  tolerance: number;
}

/** KEDA 2.x defaults for a ScaledObject's own fields. */
export const kedaDefaults = Object.freeze({
  pollingIntervalSeconds: 30,
  cooldownPeriodSeconds: 300,
  minReplicas: 0,
  maxReplicas: 100,
  activationTarget: 0,
});

/** The HPA's defaults for `behavior` (autoscaling/v2) and its `--horizontal-pod-autoscaler-tolerance`. */
export const hpaDefaults: Readonly<{ tolerance: number; scaleUp: ScalingRules; scaleDown: ScalingRules }> = {
  tolerance: 0.1,
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  },
};

/** What the autoscaler remembers between polls: past recommendations, past changes, last activity. */
export interface ScalerMemory {
  recommendations: { atMs: number; replicas: number }[];
  changes: { atMs: number; delta: number }[];
  lastActiveAtMs: number | undefined;
}

export const emptyMemory = (): ScalerMemory => ({ recommendations: [], changes: [], lastActiveAtMs: undefined });

export interface Decision {
  desired: number;
  /** The HPA's raw answer before stabilization and policies (`ceil(queue / target)` or current). */
  recommended: number;
  reason: string;
  memory: ScalerMemory;
}

/**
 * recommendReplicas is the HPA's `AverageValue` calculation: `ceil(queueLength / target)`, unless
 * usage is within the tolerance of the target, when the current count stays.
 */
export function recommendReplicas(queueLength: number, target: number, current: number, tolerance: number): number {
  if (current > 0) {
    const usageRatio = queueLength / (target * current);
    if (Math.abs(1 - usageRatio) <= tolerance) return current;
  }
  return Math.ceil(queueLength / target);
}

/**
 * stabilize applies the stabilization windows: scale up no further than the lowest recommendation
 * in the up window, and down no further than the highest in the down window.
 */
export function stabilize(
  current: number,
  recommendation: number,
  history: ScalerMemory['recommendations'],
  nowMs: number,
  windows: { upSeconds: number; downSeconds: number },
): number {
  let up = recommendation;
  let down = recommendation;
  for (const past of history) {
    if (past.atMs > nowMs - windows.upSeconds * 1000) up = Math.min(up, past.replicas);
    if (past.atMs > nowMs - windows.downSeconds * 1000) down = Math.max(down, past.replicas);
  }
  let stabilized = current;
  if (stabilized < up) stabilized = up;
  if (stabilized > down) stabilized = down;
  return stabilized;
}

function changedWithin(changes: ScalerMemory['changes'], nowMs: number, periodSeconds: number, sign: 1 | -1): number {
  return changes
    .filter((c) => c.atMs > nowMs - periodSeconds * 1000 && Math.sign(c.delta) === sign)
    .reduce((sum, c) => sum + Math.abs(c.delta), 0);
}

/** scaleUpLimit is the most replicas the scale-up policies allow now, from the replicas at each period's start. */
export function scaleUpLimit(current: number, rules: ScalingRules, changes: ScalerMemory['changes'], nowMs: number) {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return current;
  const limits = rules.policies.map((policy) => {
    const atPeriodStart = current - changedWithin(changes, nowMs, policy.periodSeconds, 1);
    return policy.type === 'Pods' ? atPeriodStart + policy.value : Math.ceil(atPeriodStart * (1 + policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
}

/** scaleDownLimit is the fewest replicas the scale-down policies allow now. */
export function scaleDownLimit(current: number, rules: ScalingRules, changes: ScalerMemory['changes'], nowMs: number) {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return current;
  const limits = rules.policies.map((policy) => {
    const atPeriodStart = current + changedWithin(changes, nowMs, policy.periodSeconds, -1);
    return policy.type === 'Pods' ? atPeriodStart - policy.value : Math.trunc(atPeriodStart * (1 - policy.value / 100));
  });
  // For scale-down, Max selects the policy that allows the biggest change, i.e. the lowest limit.
  return rules.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
}

function limitRate(desired: number, current: number, p: ScalingParameters, memory: ScalerMemory, nowMs: number) {
  const floor = Math.max(1, p.minReplicas);
  if (desired > current) {
    const allowed = Math.min(p.maxReplicas, Math.max(current, scaleUpLimit(current, p.scaleUp, memory.changes, nowMs)));
    return Math.max(floor, Math.min(desired, allowed));
  }
  if (desired < current) {
    const allowed = Math.max(floor, Math.min(current, scaleDownLimit(current, p.scaleDown, memory.changes, nowMs)));
    return Math.min(p.maxReplicas, Math.max(desired, allowed));
  }
  return Math.min(p.maxReplicas, Math.max(floor, desired));
}

function remember(memory: ScalerMemory, nowMs: number, p: ScalingParameters): ScalerMemory {
  const horizonMs =
    1000 *
    Math.max(
      p.scaleUp.stabilizationWindowSeconds,
      p.scaleDown.stabilizationWindowSeconds,
      ...p.scaleUp.policies.map((x) => x.periodSeconds),
      ...p.scaleDown.policies.map((x) => x.periodSeconds),
    );
  return {
    recommendations: memory.recommendations.filter((r) => r.atMs > nowMs - horizonMs),
    changes: memory.changes.filter((c) => c.atMs > nowMs - horizonMs),
    lastActiveAtMs: memory.lastActiveAtMs,
  };
}

/**
 * decideReplicas is one poll of the autoscaler for one consumer: KEDA's activation and cooldown
 * around the HPA's calculation, stabilization and rate policies. The returned memory replaces the
 * one passed in; `recordChange` must be told when the replicas really changed.
 */
export function decideReplicas(
  p: ScalingParameters,
  memory: ScalerMemory,
  observed: { nowMs: number; queueLength: number; currentReplicas: number },
): Decision {
  const { nowMs, queueLength, currentReplicas: current } = observed;
  const active = queueLength > p.activationTarget;
  const next = remember(memory, nowMs, p);
  if (active) next.lastActiveAtMs = nowMs;
  const detail = `queue ${queueLength}, target ${p.target}, ${current} running`;

  if (p.minReplicas === 0) {
    if (current === 0) {
      const desired = active ? 1 : 0;
      return { desired, recommended: desired, reason: `${active ? 'activated' : 'inactive'}: ${detail}`, memory: next };
    }
    const quietMs = nowMs - (next.lastActiveAtMs ?? nowMs);
    if (!active && quietMs >= p.cooldownPeriodSeconds * 1000) {
      return { desired: 0, recommended: 0, reason: `idle past the cooldown: ${detail}`, memory: next };
    }
  }

  const recommended = recommendReplicas(queueLength, p.target, current, p.tolerance);
  const stabilized = stabilize(current, recommended, next.recommendations, nowMs, {
    upSeconds: p.scaleUp.stabilizationWindowSeconds,
    downSeconds: p.scaleDown.stabilizationWindowSeconds,
  });
  next.recommendations.push({ atMs: nowMs, replicas: recommended });
  const desired = limitRate(stabilized, current, p, next, nowMs);
  const why =
    desired === recommended
      ? 'ceil(queue / target)'
      : desired === current && recommended !== current
        ? 'held by the stabilization window or a rate policy'
        : 'clamped by min/max or a rate policy';
  return { desired, recommended, reason: `${why}: ${detail}, recommended ${recommended}`, memory: next };
}

/** recordChange notes a change of replicas, which the rate policies count against their periods. */
export function recordChange(memory: ScalerMemory, nowMs: number, from: number, to: number): ScalerMemory {
  if (from === to) return memory;
  return { ...memory, changes: [...memory.changes, { atMs: nowMs, delta: to - from }] };
}
