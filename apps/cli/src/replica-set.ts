import type { HostableConsumer } from '@surety/consumers/config';
import { consumersHost, hostedBy, processOf, replicaProcess, type ProcessApp } from './apps.js';
import type { Supervisor } from './supervisor.js';

/**
 * ReplicaSet changes how many replicas of an app (or of the consumers' host) the supervisor runs.
 * Replica i is process `<app>-i`, its services on their base ports plus 100 × (i - 1), as
 * `startEveryApp` lays them out; a scale-in stops the highest replicas with SIGTERM, so each
 * finishes its in-flight messages first, and their numbers (and ports) are not reused until they
 * have exited.
 */
export class ReplicaSet {
  /** The replicas stopping, each with the promise of its exit. */
  private readonly draining = new Map<string, Promise<void>>();

  constructor(
    private readonly supervisor: Supervisor,
    private readonly options: {
      portOffset?: number;
      env: (app: ProcessApp, id: string) => Record<string, string>;
      /** The niceness an app's replicas run at (see ProcessSpec.nice). */
      nice?: (app: ProcessApp) => number | undefined;
      /** Flags for node itself, per replica (see ProcessSpec.nodeFlags). */
      nodeFlags?: (id: string) => readonly string[];
      /** How long a stopping replica may take to finish its in-flight work. */
      graceMs?: number;
    },
  ) {}

  /** running lists the ids of an app's replicas that are not stopping, lowest first. */
  running(app: ProcessApp): string[] {
    const pattern = new RegExp(`^${app}-(\\d+)$`);
    return this.supervisor
      .ids()
      .filter((id) => pattern.test(id) && !this.draining.has(id))
      .sort((a, b) => Number(pattern.exec(a)?.[1]) - Number(pattern.exec(b)?.[1]));
  }

  /** hosted lists the consumers a running replica of the consumers' host serves. */
  hosted(id: string): HostableConsumer[] {
    return hostedBy(this.supervisor.specOf(id)?.env ?? {});
  }

  /**
   * scaleTo starts or gracefully stops replicas until `count` run; it resolves when the stopped ones
   * have exited. For the consumers' host, `hosts` says which consumers replica i (from 0) must serve:
   * a running replica that lacks one is replaced (stopped, then started again with them), and one
   * that serves more keeps them until it stops, so a consumer whose queue calms down does not cost
   * the others a restart. A host's number says which consumers it serves, so a host still stopping
   * is waited for and started again, never passed over for a higher number (that would serve none).
   */
  async scaleTo(
    app: ProcessApp,
    count: number,
    hosts?: (replica: number) => readonly HostableConsumer[],
  ): Promise<void> {
    const lacking = this.running(app)
      .slice(0, count)
      .filter(
        (id) => app === consumersHost && hosts?.(processOf(id).replica).some((c) => !this.hosted(id).includes(c)),
      );
    if (lacking.length > 0) await Promise.all(lacking.map((id) => this.stop(id)));
    const running = this.running(app);
    if (app === consumersHost) {
      for (let replica = 0; replica < count; replica++) {
        const id = replicaProcess(app, replica, this.options.portOffset).id;
        await this.draining.get(id);
        if (!this.running(app).includes(id)) this.start(app, replica, hosts?.(replica));
      }
    } else {
      for (let replica = 0; this.running(app).length < count; replica++) {
        const id = replicaProcess(app, replica, this.options.portOffset).id;
        if (!running.includes(id) && !this.draining.has(id)) this.start(app, replica);
      }
    }
    await Promise.all(running.slice(count).map((id) => this.stop(id)));
  }

  private start(app: ProcessApp, replica: number, hosts?: readonly HostableConsumer[]): void {
    const { id, entry, env } = replicaProcess(app, replica, this.options.portOffset, hosts);
    const nice = this.options.nice?.(app);
    this.supervisor.start({
      id,
      entry,
      env: { ...this.options.env(app, id), ...env },
      ...(nice ? { nice } : {}),
      ...(this.options.nodeFlags ? { nodeFlags: this.options.nodeFlags(id) } : {}),
    });
  }

  private stop(id: string): Promise<void> {
    const stopping = this.draining.get(id);
    if (stopping) return stopping;
    const exited = this.supervisor.stopOne(id, this.options.graceMs).finally(() => this.draining.delete(id));
    this.draining.set(id, exited);
    return exited;
  }
}
