import { Gauge, type Registry } from 'prom-client';
import { managementClient } from '@surety/messaging';
import type { HostableConsumer } from '@surety/consumers/config';
import { hostsByCount, isHostable, type AppName, type ProcessApp } from '../apps.js';
import {
  decideReplicas,
  emptyMemory,
  recordChange,
  type ScalerMemory,
  type ScalingParameters,
} from './scaling-rule.js';

/** What the autoscaler saw and decided for one consumer at one poll. */
export interface ScalingSample {
  atMs: number;
  consumer: string;
  queueLength: number;
  current: number;
  desired: number;
  reason: string;
}

/** The replicas the autoscaler drives: a ReplicaSet, or the consumers' host (`sharedReplicas`). */
export interface ScalableReplicas {
  running(app: AppName): string[];
  /** Asked at every poll; nothing changes when `count` already run. */
  scaleTo(app: AppName, count: number): Promise<void>;
}

/** The consumers' hosts as ReplicaSet runs them: each replica serves some of the consumers. */
export interface HostReplicas {
  running(app: ProcessApp): string[];
  hosted(id: string): HostableConsumer[];
  scaleTo(app: ProcessApp, count: number, hosts: (replica: number) => readonly HostableConsumer[]): Promise<void>;
}

/**
 * sharedReplicas drives one process app that serves several consumers (the consumers' host) as the
 * replicas of each: each consumer asks for its count, the host runs the most any of them asks for,
 * and host i (from 1) serves the consumers that ask for i replicas or more (one who has not asked,
 * one). So every consumer runs at least the replicas its own queue calls for, as each would under
 * KEDA, and a busy consumer's extra replicas do not carry copies of the calm ones, which would
 * split their batches and wake for nothing.
 */
export function sharedReplicas(host: ProcessApp, replicas: HostReplicas): ScalableReplicas {
  const asked = new Map<AppName, number>();
  const hosts = hostsByCount((consumer) => asked.get(consumer) ?? 1);
  return {
    running: (app) => replicas.running(host).filter((id) => !isHostable(app) || replicas.hosted(id).includes(app)),
    scaleTo: (app, count) => {
      asked.set(app, count);
      return replicas.scaleTo(host, Math.max(...asked.values()), hosts);
    },
  };
}

/**
 * queueLengthReader reads a queue's messages (ready plus unacknowledged) from RabbitMQ's management
 * API, as KEDA's rabbitmq trigger does with `protocol: http`.
 */
export function queueLengthReader(managementUrl: string, vhost: string) {
  const management = managementClient(managementUrl);
  return async (queue: string): Promise<number> => {
    const response = await management(`/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`, {
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) throw new Error(`management API answered ${response.status} for queue ${queue}`);
    const body = (await response.json()) as { messages?: number };
    return body.messages ?? 0;
  };
}

/**
 * Autoscaler polls each consumer's queue at its ScaledObject's polling interval and sets its
 * replicas by KEDA's and the HPA's rule; it logs each change and exports desired and current
 * replicas as gauges.
 */
export class Autoscaler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly memories = new Map<string, ScalerMemory>();
  /** What each consumer asked for at its last poll. */
  private readonly asked = new Map<string, number>();
  private readonly scaling = new Set<Promise<void>>();
  private readonly desiredGauge: Gauge<'consumer'>;
  private readonly currentGauge: Gauge<'consumer'>;
  private readonly queueGauge: Gauge<'consumer' | 'queue'>;
  private stopped = false;

  constructor(
    private readonly options: {
      parameters: ScalingParameters[];
      replicas: ScalableReplicas;
      queueLength: (queue: string) => Promise<number>;
      registry: Registry;
      say: (line: string) => void;
      onSample?: (sample: ScalingSample) => void;
      now?: () => number;
    },
  ) {
    const registers = [options.registry];
    this.desiredGauge = new Gauge({
      name: 'surety_autoscaler_desired_replicas',
      help: 'Replicas the local autoscaler wants per consumer, by the KEDA/HPA rule.',
      labelNames: ['consumer'],
      registers,
    });
    this.currentGauge = new Gauge({
      name: 'surety_autoscaler_current_replicas',
      help: 'Replicas of each consumer running (not draining) at the last poll.',
      labelNames: ['consumer'],
      registers,
    });
    this.queueGauge = new Gauge({
      name: 'surety_autoscaler_queue_messages',
      help: 'Messages (ready and unacknowledged) in the queue each consumer scales on, at the last poll.',
      labelNames: ['consumer', 'queue'],
      registers,
    });
  }

  /** start polls every consumer now, then at its polling interval. */
  start(): void {
    for (const parameters of this.options.parameters) void this.loop(parameters);
  }

  /** stop ends polling and waits for scale-ins under way to finish draining. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await Promise.all(this.scaling);
  }

  private async loop(parameters: ScalingParameters): Promise<void> {
    if (this.stopped) return;
    await this.poll(parameters).catch((error: unknown) =>
      this.options.say(`autoscaler: ${parameters.consumer}: ${error instanceof Error ? error.message : String(error)}`),
    );
    if (this.stopped) return;
    this.timers.set(
      parameters.consumer,
      setTimeout(() => void this.loop(parameters), parameters.pollingIntervalSeconds * 1000),
    );
  }

  /** poll reads one queue and applies one decision. */
  async poll(parameters: ScalingParameters): Promise<ScalingSample> {
    const consumer = parameters.consumer as AppName;
    const queueLength = await this.options.queueLength(parameters.queueName);
    const nowMs = (this.options.now ?? Date.now)();
    const current = this.options.replicas.running(consumer).length;
    const decision = decideReplicas(parameters, this.memories.get(consumer) ?? emptyMemory(), {
      nowMs,
      queueLength,
      currentReplicas: current,
    });
    this.memories.set(consumer, recordChange(decision.memory, nowMs, current, decision.desired));
    this.desiredGauge.set({ consumer }, decision.desired);
    this.queueGauge.set({ consumer, queue: parameters.queueName }, queueLength);
    if (decision.desired !== current && decision.desired !== this.asked.get(consumer))
      this.options.say(`autoscaler: ${consumer} ${current} -> ${decision.desired} (${decision.reason})`);
    this.asked.set(consumer, decision.desired);
    // Asked at every poll, not only on a change: replicas shared by several consumers (the consumers
    // together in one process) run the most any of them asks for now.
    const scaling = this.options.replicas
      .scaleTo(consumer, decision.desired)
      .catch((error: unknown) => this.options.say(`autoscaler: scaling ${consumer} failed: ${String(error)}`));
    this.scaling.add(scaling);
    void scaling.finally(() => this.scaling.delete(scaling));
    this.currentGauge.set({ consumer }, this.options.replicas.running(consumer).length);
    const sample = { atMs: nowMs, consumer, queueLength, current, desired: decision.desired, reason: decision.reason };
    this.options.onSample?.(sample);
    return sample;
  }
}
