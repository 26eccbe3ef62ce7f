// smoke: a gentle, steady trickle to check the stack answers and the thresholds hold.
// RATE orders per second (default 5) for DURATION (default 30s). See lib/orders.js for the mix.
import { placeOrder, summaryTrendStats, thresholds } from './lib/orders.js';

export const options = {
  scenarios: {
    smoke: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 5),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: 5,
      maxVUs: Number(__ENV.MAX_VUS || 50),
    },
  },
  thresholds: thresholds(),
  summaryTrendStats,
};

export default placeOrder;
