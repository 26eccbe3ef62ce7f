// soak: a moderate rate held for long enough to see leaks, drift and slow queues grow.
// RATE orders per second (default 20) for DURATION (default 10m). See lib/orders.js for the mix.
import { placeOrder, summaryTrendStats, thresholds } from './lib/orders.js';

export const options = {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 20),
      timeUnit: '1s',
      duration: __ENV.DURATION || '10m',
      preAllocatedVUs: 20,
      maxVUs: Number(__ENV.MAX_VUS || 200),
    },
  },
  thresholds: thresholds(),
  summaryTrendStats,
};

export default placeOrder;
