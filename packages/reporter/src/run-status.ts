/** How a run stands. `stopped`: ended early by a sweep's early stopping, with a complete run folder. */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'diverged' | 'interrupted' | 'failed';

/** The statuses, for checking what a summary.json says. */
export const RUN_STATUSES: ReadonlySet<string> = new Set<RunStatus>(['running', 'completed', 'stopped', 'diverged', 'interrupted', 'failed']);

/** Whether a run ended with a complete run folder (its model, pictures and report): completed, or stopped early. */
export const isFinishedStatus = (status: string): boolean => status === 'completed' || status === 'stopped';
