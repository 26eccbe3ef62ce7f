import type { AppName } from '../../apps.js';
import type { GatewayFaults } from '../../gateway-faults.js';
import type { DrillName } from '../catalogue.js';

/** Settings per app, written into the env of its Deployment's container. */
export type AppSettings = Partial<Record<AppName, Record<string, string>>>;

/**
 * How a drill's fault is caused on the cluster. Each says how, in a sentence, and what differs
 * from the local drill; a drill that cannot be caused faithfully says why instead.
 */
export type ClusterFault =
  /** A Chaos Mesh experiment of chaos-mesh/, created as the load starts and deleted to heal. */
  | { kind: 'experiment'; experiment: string; how: string; differs: string }
  /** The fault is a setting (the drill's env, written into Deployments before the load); healing writes `heal`. */
  | { kind: 'settings'; heal: AppSettings; how: string; differs: string }
  /** The gateway's run-time faults, through its PUT /admin/faults. */
  | { kind: 'gateway'; during: GatewayFaults; after: GatewayFaults; how: string; differs: string }
  /** Poison published straight into the queues over AMQP. */
  | { kind: 'poison'; how: string; differs: string }
  /** Every event sent twice, by the drill's own queue over AMQP (faults.ts, startDuplicateStorm). */
  | { kind: 'duplicates'; how: string; differs: string }
  | { kind: 'unsupported'; reason: string };

const restartDelay =
  'a crashed container is restarted by the kubelet, with a back-off that grows from 10 s on repeated crashes, where the supervisor restarts a process within a second';

/** Every drill of the catalogue, by name, mapped to the cluster action that causes its fault. */
export const clusterFaults: Record<DrillName, ClusterFault> = {
  'payment-crash-before-commit': {
    kind: 'settings',
    heal: { payment: { SURETY_FAILPOINTS: '' } },
    how: 'SURETY_FAILPOINTS on the payment Deployment (a rollout before the load); cleared by another rollout once the load is placed',
    differs: restartDelay,
  },
  'relay-crash-after-publish': {
    kind: 'settings',
    heal: { relay: { SURETY_FAILPOINTS: '' } },
    how: 'SURETY_FAILPOINTS on the relay Deployment and OUTBOX_DISPATCH=relay on every Deployment (a rollout before the load); the failpoint cleared once the load is placed',
    differs: `${restartDelay}; two relays run, as the chart has them, rather than one`,
  },
  'crash-cdc-relay': {
    kind: 'experiment',
    experiment: 'schedule-kill-relay-cdc',
    how: 'RELAY_MODE=cdc and OUTBOX_DISPATCH=relay on every Deployment (a rollout before the load), and a Chaos Mesh Schedule that kills one relay pod (pod-kill, no grace) every 2 s for the fault time',
    differs:
      'a killed pod is replaced by a new one, slower than a restarted process, so the standby relay reads the slot for longer; the kills come at a fixed period, not at random moments',
  },
  'cdc-stall': {
    kind: 'unsupported',
    reason:
      'Chaos Mesh cannot stop a process (SIGSTOP) and resume it, and the drill sets max_slot_wal_keep_size for its run, a server setting that CloudNativePG owns (a change is a rollout of the Cluster, not a reload); ' +
      'on the cluster the same alarm is watched by the PrometheusRule of k8s/prometheus-rules.yaml',
  },
  'cdc-slot-invalidated': {
    kind: 'unsupported',
    reason:
      'the drill lowers max_slot_wal_keep_size for its run and forces checkpoints, server settings and actions that CloudNativePG owns; ' +
      'it would invalidate the failover slots of the Cluster’s replicas too',
  },
  'writer-crash-after-publish': {
    kind: 'settings',
    heal: { payment: { SURETY_FAILPOINTS: '' }, saga: { SURETY_FAILPOINTS: '' } },
    how: 'SURETY_FAILPOINTS on the payment and saga Deployments (a rollout before the load); cleared once the load is placed',
    differs: `${restartDelay}; KEDA sets the replicas`,
  },
  'consumer-kill-under-load': {
    kind: 'experiment',
    experiment: 'schedule-kill-consumers',
    how: 'a Chaos Mesh Schedule kills one consumer pod (pod-kill, no grace) every second for the fault time',
    differs:
      'a killed pod is replaced by a new one (scheduled, started, probed), slower than a restarted process; KEDA sets the replicas (two of each at least, notification one)',
  },
  'consumer-host-kill-under-load': {
    kind: 'unsupported',
    reason:
      'the chart runs each consumer in a Deployment of its own, for KEDA to scale on its own queue; the consumers together in one process are how `make run` runs them on one machine, and consumer-kill-under-load kills consumer pods on the cluster',
  },
  'broker-restart': {
    kind: 'experiment',
    experiment: 'failure-rabbitmq',
    how: 'Chaos Mesh pod-failure on every RabbitMQ node for the fault time',
    differs:
      'the three nodes go down hard and re-form the cluster, where the local broker is one node stopped with stop_app',
  },
  'postgres-restart': {
    kind: 'experiment',
    experiment: 'kill-postgres-primary',
    how: 'Chaos Mesh pod-kill of the CloudNativePG primary',
    differs:
      'CloudNativePG fails over to a replica instead of restarting in place (the postgres-failover drill, locally); replication is synchronous (k8s/postgres.yaml), so a commit the apps saw acknowledged is on the replica promoted',
  },
  'gateway-outage': {
    kind: 'gateway',
    during: { failureRate: 1 },
    after: { failureRate: 0 },
    how: "the gateway's PUT /admin/faults sets failureRate 1 for the fault time, then 0",
    differs: 'none: the same call, through a forward to the gateway (which must run one replica)',
  },
  'gateway-slow': {
    kind: 'gateway',
    during: { latencyMs: 2_000 },
    after: { latencyMs: 0 },
    how: "the gateway's PUT /admin/faults sets latencyMs 2000 for the fault time, then 0",
    differs: 'none: the same call, through a forward to the gateway (which must run one replica)',
  },
  'poison-message': {
    kind: 'poison',
    how: 'malformed and undecodable messages published over AMQP into payment.orders and saga.results',
    differs: 'none: the same messages, through a forward to RabbitMQ, into the vhost the apps use',
  },
  'duplicate-storm': {
    kind: 'duplicates',
    how: 'a queue of the drill, bound to every event type in the vhost the apps use, hands each event back to the exchange once more, through a forward to RabbitMQ, until the load is placed',
    differs: 'none: the same queue and copies, through a forward to RabbitMQ',
  },
  'consumer-freeze': {
    kind: 'unsupported',
    reason:
      'Chaos Mesh has no action that stops a process (SIGSTOP) and resumes it, and a signal sent from inside the container cannot stop its PID 1; ' +
      'the drill also needs a 2 s AMQP heartbeat, which is part of the AMQP URL the apps read from the RabbitMQ operator’s secret. ' +
      'A network partition would be another fault (the process keeps working), so it is not offered in its place',
  },
  'quorum-leader-kill': {
    kind: 'experiment',
    experiment: 'kill-rabbitmq',
    how: 'Chaos Mesh pod-kill (no grace) of one RabbitMQ pod; the StatefulSet starts it again',
    differs:
      'Chaos Mesh picks the pod, which leads the busiest queues only by chance, where the local drill kills the leader of payment.orders; the pod comes back when the StatefulSet restarts it, not after the fault time',
  },
  'broker-leader-partition': {
    kind: 'experiment',
    experiment: 'partition-rabbitmq-node',
    how: 'Chaos Mesh NetworkChaos: one RabbitMQ pod partitioned from the two others, both ways, for the fault time',
    differs:
      'the pod is cut off from its peers only, and chosen by Chaos Mesh; its clients lose it when pause_minority pauses it, where locally its link goes down for everyone',
  },
  'broker-node-pause': {
    kind: 'unsupported',
    reason:
      'Chaos Mesh has no action that stops a process and resumes it (SIGSTOP), and a signal from inside the container cannot stop its PID 1',
  },
  'broker-rolling-restart': {
    kind: 'unsupported',
    reason:
      'a rolling restart is the RabbitMQ cluster operator’s (a change to the RabbitmqCluster, or kubectl rollout restart of its StatefulSet), not a Chaos Mesh experiment; run it by hand under make load',
  },
  'postgres-failover': {
    kind: 'experiment',
    experiment: 'kill-postgres-primary',
    how: 'Chaos Mesh pod-kill of the CloudNativePG primary; the operator promotes a synchronous replica and brings the old primary back as a replica',
    differs:
      'the operator decides when to promote and rejoins the old primary itself, where the local drill promotes at once and rewinds after the fault time; the apps reach the primary through the surety-pg-rw Service rather than a multi-host URL',
  },
  'broker-and-db': {
    kind: 'experiment',
    experiment: 'workflow-broker-and-db',
    how: 'a Chaos Mesh Workflow kills one RabbitMQ pod and the CloudNativePG primary at the same moment',
    differs: 'Chaos Mesh picks the RabbitMQ pod; the operators bring both back on their own time',
  },
};

/** clusterFaultOf gives the cluster action of a drill, or throws when the mapping lacks it. */
export function clusterFaultOf(drill: string): ClusterFault {
  const fault = (clusterFaults as Partial<Record<string, ClusterFault>>)[drill];
  if (!fault) throw new Error(`no cluster mapping for drill ${drill}`);
  return fault;
}

/** clusterRefusal says why a drill cannot run on a cluster, or undefined when it can. */
export function clusterRefusal(drill: string): string | undefined {
  const fault = clusterFaultOf(drill);
  return fault.kind === 'unsupported' ? fault.reason : undefined;
}
