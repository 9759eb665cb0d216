import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { redisInstalled, startRedis } from './local-redis.js';

const root = resolve(import.meta.dirname, '../../../..');
const cli = join(root, 'packages/runner/dist/main.js');
/** Each trial on one core, in the local pool and in every queue worker alike, so that only the transport differs. */
const env = { ...process.env, CI: 'true', INIT_CWD: '', SPECML_THREADS: '1' };

/**
 * `bench --queue`: an 8-trial sweep of a spec (seeds 1…8) through a throwaway local Redis with 2 workers,
 * against the local pool with --workers 2, and against 1 queue worker: the queue's overhead and how it
 * scales. Workers are separate processes in separate work dirs, as on separate machines.
 */
export async function benchQueue(specFile: string): Promise<void> {
  if (!redisInstalled) throw new Error('bench --queue needs redis-server (apt-get install redis-server)');
  const work = mkdtempSync(join(tmpdir(), 'specml-bench-queue-'));
  const sweep = ['--sweep', 'seed=1,2,3,4,5,6,7,8'];
  try {
    const timedSweep = (args: string[], runsDir: string, queue?: string) => {
      const started = performance.now();
      const result = spawnSync(process.execPath, [cli, 'exp', join(root, specFile), ...sweep, '--runs-dir', runsDir, ...args], { cwd: root, env: queue ? { ...env, SPECML_QUEUE: queue } : env, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`the sweep failed (${result.status}):\n${result.stderr}`);
      return (performance.now() - started) / 1000;
    };
    const onQueue = async (workerCount: number, label: string) => {
      mkdirSync(join(work, label));
      const redis = await startRedis(join(work, label));
      const workers = Array.from({ length: workerCount }, (_, index) => spawn(process.execPath, [cli, 'worker', '--work-dir', join(work, label, `worker-${index}`)], { cwd: root, env: { ...env, SPECML_QUEUE: redis.url }, stdio: 'ignore' }));
      try {
        await new Promise((wake) => setTimeout(wake, 2500)); // the workers' start-up, as for workers already running
        return timedSweep([], join(work, label, 'runs'), redis.url);
      } finally {
        for (const worker of workers) worker.kill('SIGKILL');
        await redis.stop();
      }
    };
    const local = timedSweep(['--workers', '2'], join(work, 'local'));
    const two = await onQueue(2, 'queue-2');
    const one = await onQueue(1, 'queue-1');
    console.log(`\n== ${specFile}, 8 trials (seeds 1-8), each trial on one thread ==`);
    console.log(`local pool, --workers 2: ${local.toFixed(2)} s`);
    console.log(`queue, 2 workers:        ${two.toFixed(2)} s  (queue overhead ${(((two - local) / local) * 100).toFixed(1)}% of the local wall time)`);
    console.log(`queue, 1 worker:         ${one.toFixed(2)} s  (2 workers are ${(one / two).toFixed(2)}× faster)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
