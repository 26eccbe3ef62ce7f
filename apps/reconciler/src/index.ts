export { startReconciler, createReconciler, type ReconcilerService } from './service.js';
export { loadReconcilerConfig, type ReconcilerConfig } from './config.js';
export { planFor } from './plan.js';
