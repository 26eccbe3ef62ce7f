/** Undo steps for what a drill run changed on the cluster, run last first, each whatever the others did. */
export class Cleanup {
  private readonly steps: (() => Promise<void>)[] = [];

  constructor(private readonly say: (line: string) => void) {}

  push(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  /** run takes every step once: a second run, from an interrupt or a late close, finds none left. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      await step().catch((error: unknown) => this.say(`  cleanup failed: ${String(error)}`));
    }
  }
}
