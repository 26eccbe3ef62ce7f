export { runDrill, type DrillReport } from './drills/runner.js';
export {
  drills,
  drillSizes,
  relayPathDrills,
  withCdcRelay,
  withRelaySkippingConfirms,
  type Drill,
} from './drills/catalogue.js';
export { createIsolatedResources, type IsolatedResources, type ServerEndpoints } from './isolated-resources.js';
export { hotKeySizes, runHotKey } from './drills/hot-key.js';
export { clusterEndpoints, localBackend, runCluster } from './drills/local.js';
