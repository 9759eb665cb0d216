import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisInstalled, startRedis } from '../commands/local-redis.js';
import { exitCodeWithin, learningOf, specml, startServing, startSpecml, temporaryFolder, TINY_SPEC, waitFor } from '../test-kit/test-cli.js';
import { QUEUE_NAME } from './queue-protocol.js';

// Redis trouble in the middle of a queued sweep: paused past the locks' life, killed and restarted empty,
// gone for good. Every trial still ends completed exactly once with the metrics of an undisturbed sweep, no
// process crashes or prints an unhandled error, and a coordinator that loses Redis for good says how to go on.

const work = temporaryFolder('queue-faults');
/** Four trials of about 40 short epochs each: long enough for a fault to land mid-trial. */
const spec = (name: string) => `${TINY_SPEC(name).replace('epochs: 2', 'epochs: 40').replace('trainLimit: 2000', 'trainLimit: 1500')}batchSize: 64\nsweep:\n  seed: [1, 2, 3, 4]\n`;
const sweepDirOf = (runsDir: string, name: string) => join(runsDir, name, readdirSync(join(runsDir, name)).find((entry) => entry.startsWith('sweep-'))!);
const trialsOf = (sweepDir: string) => JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')).trials as Array<{ state: string; runId: string; values: { seed: number } }>;
const runFolders = (runsDir: string, name: string) => readdirSync(join(runsDir, name)).filter((entry) => !entry.startsWith('sweep-')).sort();
/** What no process may ever print. */
const CRASH = /Unhandled|unhandled|^\s+at .+:\d+:\d+\)?$|Missing key|internal error/m;

describe.skipIf(!redisInstalled)('a queued sweep through Redis trouble', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const queueFile = join(work, 'queue-url');
  const workers: Array<ReturnType<typeof startSpecml>> = [];
  /** The metrics of each seed's trial, from the same sweep run undisturbed on this machine. */
  const reference = new Map<number, string[]>();

  beforeAll(async () => {
    mkdirSync(join(work, 'redis'));
    redis = await startRedis(join(work, 'redis'));
    writeFileSync(queueFile, `${redis.url}\n`);
    writeFileSync(join(work, 'calm.yaml'), spec('calm'));
    const calm = specml(['exp', join(work, 'calm.yaml'), '--runs-dir', join(work, 'runs-calm')]);
    expect(calm.status).toBe(0);
    for (const trial of trialsOf(sweepDirOf(join(work, 'runs-calm'), 'calm'))) reference.set(trial.values.seed, learningOf(join(work, 'runs-calm', 'calm', trial.runId)));
    for (const index of [1, 2]) {
      const worker = await startServing(['worker', '--queue-file', queueFile, '--work-dir', join(work, `worker-${index}`)], /waiting for trials/);
      workers.push(worker);
    }
  });
  afterAll(async () => {
    for (const worker of workers) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await redis?.stop();
  });

  /** Runs a sweep of `name` through the queue, doing `fault` once its first epochs are in; checks the result. */
  async function sweepThrough(name: string, fault: () => Promise<void>) {
    writeFileSync(join(work, `${name}.yaml`), spec(name));
    const runsDir = join(work, `runs-${name}`);
    const coordinator = startSpecml(['exp', join(work, `${name}.yaml`), '--queue-file', queueFile, '--runs-dir', runsDir]);
    expect(await waitFor(() => /^trial \d\/4 epoch 3 on /m.test(coordinator.output().stdout), 60)).toBe(true);
    await fault();
    expect(await exitCodeWithin(coordinator, 100)).toBe(0);
    const sweepDir = sweepDirOf(runsDir, name);
    const trials = trialsOf(sweepDir);
    expect(trials.map((trial) => trial.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    // Exactly once: one run folder per trial, and each learned what the undisturbed trial learned.
    expect(runFolders(runsDir, name)).toEqual(trials.map((trial) => trial.runId).sort());
    for (const trial of trials) expect(learningOf(join(runsDir, name, trial.runId))).toEqual(reference.get(trial.values.seed));
    for (const output of [coordinator.output(), ...workers.map((worker) => worker.output())]) expect(`${output.stdout}${output.stderr}`).not.toMatch(CRASH);
    expect(workers.every((worker) => worker.child.exitCode === null)).toBe(true);
    return coordinator.output();
  }

  it('pauses Redis for 12 s (locks expire, a second worker takes over): every trial completed once, metrics as undisturbed', { timeout: 180_000 }, async () => {
    await sweepThrough('paused', async () => {
      redis.pause();
      await new Promise((wake) => setTimeout(wake, 12_000));
      redis.resume();
    });
    // A worker that lost its lock said so and left the trial to its new owner.
    expect(workers.map((worker) => worker.output().stdout).join('')).toMatch(/no longer this worker's \(its lock lapsed while Redis was away\)/);
  });

  it('kills Redis and starts it again empty: the coordinator queues the lost jobs again, every trial completed once', { timeout: 180_000 }, async () => {
    const { stderr } = await sweepThrough('restarted', async () => {
      await redis.kill();
      await new Promise((wake) => setTimeout(wake, 2000));
      await redis.start();
    });
    expect(stderr).toMatch(/is no longer in Redis \(was Redis restarted without its data\?\): queued again/);
    // Each process said once that it lost Redis and once that it was back.
    expect(workers[0].output().stderr).toMatch(/warning: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*; reconnecting\n/);
  });

  it('gives up after its patience when Redis is gone for good, says how to resume, and the resume keeps what completed', { timeout: 180_000 }, async () => {
    writeFileSync(join(work, 'gone.yaml'), spec('gone'));
    const runsDir = join(work, 'runs-gone');
    const coordinator = startSpecml(['exp', join(work, 'gone.yaml'), '--queue-file', queueFile, '--runs-dir', runsDir, '--workers', '2'], { SPECML_QUEUE_PATIENCE: '3' });
    expect(await waitFor(() => /^trial \d\/4 .*: completed/m.test(coordinator.output().stdout), 90)).toBe(true);
    await redis.kill();
    expect(await exitCodeWithin(coordinator, 60)).toBe(130);
    const { stderr } = coordinator.output();
    expect(stderr).toMatch(/^error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ did not answer for 3 s: giving up here/m);
    const sweepDir = sweepDirOf(runsDir, 'gone');
    expect(stderr).toContain(`continue the sweep with:\n  npx nx run runner:exp --resume ${sweepDir} --queue-file ${queueFile}\n`);
    expect(stderr).not.toMatch(CRASH);
    const completedBefore = trialsOf(sweepDir).filter((trial) => trial.state === 'completed').map((trial) => trial.runId);
    expect(completedBefore.length).toBeGreaterThan(0);
    await redis.start();
    const resumed = specml(['exp', '--resume', sweepDir, '--queue-file', queueFile]);
    expect(resumed.status).toBe(0);
    const trials = trialsOf(sweepDir);
    expect(trials.map((trial) => trial.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(trials.filter((trial) => completedBefore.includes(trial.runId))).toHaveLength(completedBefore.length);
    expect(runFolders(runsDir, 'gone')).toEqual(trials.map((trial) => trial.runId).sort());
    for (const trial of trials) expect(learningOf(join(runsDir, 'gone', trial.runId))).toEqual(reference.get(trial.values.seed));
  });

  it('gives up after its patience on a Redis that stops answering in the middle of a check of the jobs', { timeout: 90_000 }, async () => {
    // A Redis of its own that no worker listens to: the four jobs wait there, and every check of the jobs
    // asks each one's state (a script).
    mkdirSync(join(work, 'redis-stalled'));
    const stalled = await startRedis(join(work, 'redis-stalled'));
    try {
      const stalledQueueFile = join(work, 'stalled-queue-url');
      writeFileSync(stalledQueueFile, `${stalled.url}\n`);
      writeFileSync(join(work, 'stalled.yaml'), spec('stalled'));
      const coordinator = startSpecml(['exp', join(work, 'stalled.yaml'), '--queue-file', stalledQueueFile, '--runs-dir', join(work, 'runs-stalled')], { SPECML_QUEUE_PATIENCE: '3' });
      expect(await waitFor(async () => (await stalled.client.llen(`bull:${QUEUE_NAME}:wait`)) === 4, 60)).toBe(true);
      // Pings and reads still answer, scripts no longer: like a command sent just before Redis went away,
      // a check's question about a job's state waits for ever. (Before, the check then never ended, so
      // the coordinator never noticed that Redis was gone: seen in CI as a coordinator that never exited.)
      await stalled.client.call('CLIENT', 'PAUSE', '600000', 'WRITE');
      expect(await exitCodeWithin(coordinator, 60)).toBe(130);
      const { stderr } = coordinator.output();
      expect(stderr).toMatch(/^error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ did not answer for 3 s: giving up here/m);
      expect(stderr).not.toMatch(CRASH);
    } finally {
      await stalled.stop();
    }
  });
});
