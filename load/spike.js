// spike: a burst far above the steady rate. BASE_RATE orders/s (default 10) for WARM (20s), a
// climb to SPIKE_RATE (default 200) within RISE (5s), held for HOLD (20s), then back to BASE_RATE
// for COOL (30s). Arrival-rate driven: a slow answer does not slow the arrivals, as with real
// customers. See lib/orders.js for the mix.
import { placeOrder, summaryTrendStats, thresholds } from './lib/orders.js';

const base = Number(__ENV.BASE_RATE || 10);
const spike = Number(__ENV.SPIKE_RATE || 200);

export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: base,
      timeUnit: '1s',
      preAllocatedVUs: Number(__ENV.PRE_VUS || 50),
      maxVUs: Number(__ENV.MAX_VUS || 1000),
      stages: [
        { target: base, duration: __ENV.WARM || '20s' },
        { target: spike, duration: __ENV.RISE || '5s' },
        { target: spike, duration: __ENV.HOLD || '20s' },
        { target: base, duration: __ENV.RISE || '5s' },
        { target: base, duration: __ENV.COOL || '30s' },
      ],
    },
  },
  thresholds: thresholds(),
  summaryTrendStats,
};

export default placeOrder;
