/**
 * The inspect module's public door: dashboard, metrics, probes.
 */
export { createDashboard, type Dashboard, type DashboardOptions } from './create-dashboard.js';
export { createMetrics, type Metrics, type MetricsOptions } from './metrics.js';
export { livenessOf, readinessOf, type Liveness, type Readiness } from './probes.js';
