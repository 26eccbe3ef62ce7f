export { runDrill, type DrillReport } from './drills/runner.js';
export { drills, drillSizes, type Drill } from './drills/catalogue.js';
