import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import type { ChaosObject } from './experiments.js';
import { rolloutComplete, type JsonPatchOperation } from './settings.js';

function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** The calls the drills make on a cluster, in one namespace, through the kubeconfig's standard lookup. */
export class Cluster {
  readonly kubeConfig: KubeConfig;
  private readonly objects: KubernetesObjectApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;

  /** Reads the kubeconfig as kubectl does ($KUBECONFIG, ~/.kube/config, or in-cluster), optionally for another context. */
  constructor(
    readonly namespace: string,
    context?: string,
  ) {
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromDefault();
    if (context) this.kubeConfig.setCurrentContext(context);
    this.objects = KubernetesObjectApi.makeApiClient(this.kubeConfig);
    this.apps = this.kubeConfig.makeApiClient(AppsV1Api);
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
  }

  get context(): string {
    return this.kubeConfig.getCurrentContext();
  }

  async create(object: ChaosObject): Promise<void> {
    await this.objects.create(object);
  }

  /** remove deletes an object and waits until it is gone (Chaos Mesh recovers its targets before it lets go). */
  async remove(object: ChaosObject, timeoutMs = 60_000): Promise<void> {
    try {
      await this.objects.delete(object, undefined, undefined, undefined, undefined, 'Background');
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.objects.read(object);
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      await sleep(1_000);
    }
    throw new Error(`${object.kind}/${object.metadata.name} still there after ${timeoutMs / 1000} s`);
  }

  async deployment(name: string): Promise<V1Deployment> {
    return this.apps.readNamespacedDeployment({ name, namespace: this.namespace });
  }

  async patchDeployment(name: string, patch: JsonPatchOperation[]): Promise<void> {
    if (patch.length === 0) return;
    await this.apps.patchNamespacedDeployment(
      { name, namespace: this.namespace, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  }

  /** waitForRollout polls a Deployment until its rollout is complete, or throws after the timeout. */
  async waitForRollout(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (rolloutComplete(await this.deployment(name))) return;
      await sleep(2_000);
    }
    throw new Error(`Deployment ${name} did not finish rolling out within ${timeoutMs / 1000} s`);
  }

  /** secret reads a Secret's keys, decoded. */
  async secret(name: string): Promise<Record<string, string>> {
    const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
    );
  }
}
