import { Histogram, type Registry } from 'prom-client';
import { traceExemplar } from '@surety/telemetry';

/** OrderLatency records how long orders took from placed to their final state. */
export class OrderLatency {
  private readonly seconds: Histogram<'outcome'>;

  constructor(registry: Registry) {
    this.seconds = new Histogram({
      name: 'surety_order_end_to_end_seconds',
      help: 'Time from an order being placed to it being CONFIRMED or CANCELLED.',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      enableExemplars: true,
      registers: [registry],
    });
  }

  /** record observes one order's end-to-end time, with its trace as the exemplar. */
  record(outcome: 'CONFIRMED' | 'CANCELLED', seconds: number): void {
    this.seconds.observe({ labels: { outcome }, value: seconds, exemplarLabels: traceExemplar() });
  }
}
