// ramp: an arrival rate that climbs in STEPS equal steps (default 5) from 0 to PEAK_RATE orders/s
// (default 100), each step reached over STEP (default 30s) and held as long, to find where latency
// bends. See lib/orders.js for the mix.
import { placeOrder, summaryTrendStats, thresholds } from './lib/orders.js';

const peak = Number(__ENV.PEAK_RATE || 100);
const steps = Number(__ENV.STEPS || 5);
const step = __ENV.STEP || '30s';
const stages = [];
for (let i = 1; i <= steps; i++) {
  const target = Math.round((peak * i) / steps);
  stages.push({ target, duration: step }, { target, duration: step });
}

export const options = {
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: 20,
      maxVUs: Number(__ENV.MAX_VUS || 500),
      stages,
    },
  },
  thresholds: thresholds(),
  summaryTrendStats,
};

export default placeOrder;
