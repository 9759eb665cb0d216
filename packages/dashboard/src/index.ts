export { startDashboard, pageHtml, type Dashboard, type DashboardOptions } from './server.js';
export { RunsState, MAX_FOLDERS, type RunView, type SweepView, type StateChange } from './runs-state.js';
