export { runDrill, type DrillReport } from './drills/runner.js';
export { drills, drillSizes, type Drill } from './drills/catalogue.js';
export { createIsolatedResources, type IsolatedResources, type ServerEndpoints } from './isolated-resources.js';
