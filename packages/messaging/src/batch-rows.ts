/**
 * BatchRows holds the rows a batch's `beforeBatch` locked, by key, and which of them its handlers
 * changed: a handler reads a row here and records its new state, a later message of the batch reads
 * that state, and `afterBatch` writes each changed row once, in its last state.
 */
export class BatchRows<Row> {
  private readonly changedKeys = new Set<string>();

  constructor(private readonly rows: Map<string, Row> = new Map()) {}

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }

  change(key: string, row: Row): void {
    this.rows.set(key, row);
    this.changedKeys.add(key);
  }

  /** changed is every changed row, in its last state, in key order (the order rows are locked in). */
  changed(): Row[] {
    return [...this.changedKeys].sort().map((key) => this.rows.get(key)!);
  }
}
