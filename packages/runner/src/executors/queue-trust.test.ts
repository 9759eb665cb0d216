import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME, redisKeys, SPECML_VERSION } from './queue-protocol.js';
import { describeWorkerError } from './queue-worker.js';
import { REDIS_PASSWORD, redisInstalled, startRedis } from '../commands/local-redis.js';
import { learningOf, root, specml, startServing, startSpecml, temporaryFolder, TINY_SPEC, waitFor } from '../test-kit/test-cli.js';

// Everything that comes out of Redis is untrusted: job ids, the summaries of folders received through it,
// and what a worker returns. None of it may name a path outside the worker's or the coordinator's folder.

const work = temporaryFolder('queue-trust');
const SPEC = TINY_SPEC('trusted');

describe.skipIf(!redisInstalled)('the queue trusts nothing it reads from Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let queue: Queue;
  const queueFile = join(work, 'queue-url');
  const connection = () => ({ host: '127.0.0.1', port: redis.port, password: REDIS_PASSWORD });
  const valid = (runId: string) => ({ version: SPECML_VERSION, specText: SPEC, specFile: 'trusted.yaml', overrides: [], awaitVerdicts: false, runId });

  beforeAll(async () => {
    mkdirSync(join(work, 'redis'));
    redis = await startRedis(join(work, 'redis'));
    writeFileSync(queueFile, `${redis.url}\n`);
    queue = new Queue(QUEUE_NAME, { connection: connection() });
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  it('says in words when a trial ends whose job Redis no longer holds (restarted empty), instead of BullMQ\'s "Missing key"', async () => {
    // BullMQ's own error, from a real job whose data vanished between its start and its end.
    const name = 'lost-jobs';
    const lostQueue = new Queue(name, { connection: connection() });
    const taker = new Worker(name, null, { connection: connection() });
    try {
      await lostQueue.add('trial', {}, { jobId: 'sweep-q1-2' });
      const job = (await taker.getNextJob('token'))!;
      await redis.client.del(`bull:${name}:${job.id}`);
      const error = await job.moveToCompleted('done', 'token', false).then(() => undefined, (thrown: Error) => thrown);
      expect(error?.message).toMatch(/^Missing key for job sweep-q1-2\. moveToFinished$/);
      expect(describeWorkerError(error!)).toBe('trial sweep-q1-2 is no longer in Redis (its data were lost, e.g. a restart without persistence): its end was not recorded here; the coordinator runs a lost trial again');
      expect(describeWorkerError(new Error('Missing lock for job sweep-q1-3. moveToFinished'))).toMatch(/^trial sweep-q1-3 is no longer locked by this worker \(another worker took it over\)/);
      expect(describeWorkerError(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBe('connect ECONNREFUSED 127.0.0.1:1');
    } finally {
      await taker.close();
      await lostQueue.close();
    }
  });

  it('refuses a job id or a checkpoint summary that would lead outside its work dir, and deletes nothing there', async () => {
    // The worker's runs dir is <work>/worker/runs: `../../victim` from its .incoming folder is <work>/worker/victim.
    const workerDir = join(work, 'worker');
    mkdirSync(join(workerDir, 'victim'), { recursive: true });
    writeFileSync(join(workerDir, 'victim', 'precious.txt'), 'keep me');
    writeFileSync(join(work, 'precious.txt'), 'keep me too');
    const worker = await startServing(['worker', '--queue-file', queueFile, '--work-dir', workerDir], /waiting for trials/);
    try {
      // A checkpoint whose summary names the experiment "..": taken over, it would replace the work dir's parent.
      await redis.client.hset(redisKeys.checkpoint('hostile-name'), 'summary.json', JSON.stringify({ name: '..', runId: 'worker', status: 'interrupted', epochsCompleted: 1 }));
      const jobs = await Promise.all([
        queue.add('trial', valid('r1'), { jobId: '../../victim' }),
        queue.add('trial', valid('r2'), { jobId: 'hostile-name' }),
        queue.add('trial', valid('..'), { jobId: 'hostile-run-id' }),
      ]);
      expect(await waitFor(() => (worker.output().stdout.match(/: failed: refused by worker /g) ?? []).length >= 3)).toBe(true);
      const reasons = await Promise.all(jobs.map(async (job) => (await Job.fromId(queue, job.id!))!.failedReason));
      expect(reasons[0]).toMatch(/^refused by worker \S+: the job id "\.\.\/\.\.\/victim" is not a plain name \(letters, digits/);
      expect(reasons[1]).toMatch(/^refused by worker \S+: its checkpoint's experiment name "\.\." is not a plain name/);
      expect(reasons[2]).toMatch(/^refused by worker \S+: malformed job: runId must be a plain folder name$/);
      expect(readFileSync(join(workerDir, 'victim', 'precious.txt'), 'utf8')).toBe('keep me');
      expect(readFileSync(join(work, 'precious.txt'), 'utf8')).toBe('keep me too');
      expect(existsSync(join(workerDir, 'runs'))).toBe(true);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });

  it('refuses a result whose run id is not a plain name: the coordinator replaces no folder of its runs dir', async () => {
    const runsDir = join(work, 'coordinator', 'runs');
    mkdirSync(join(runsDir, 'trusted', 'earlier-run'), { recursive: true });
    writeFileSync(join(runsDir, 'trusted', 'earlier-run', 'summary.json'), '{}');
    writeFileSync(join(work, 'coordinator', 'precious.txt'), 'keep me');
    const spec = join(work, 'single.yaml');
    writeFileSync(spec, SPEC);
    // A rogue worker: it answers every job with runId "..", and a folder in Redis to go with it.
    const rogue = new Worker(
      QUEUE_NAME,
      async (job) => {
        await redis.client.hset(redisKeys.folder(job.id!), 'summary.json', JSON.stringify({ name: 'trusted', runId: '..', status: 'completed' }));
        return { status: 'completed', message: '', runId: '..', worker: 'rogue/1' };
      },
      { connection: connection() },
    );
    try {
      // In the background: the rogue worker runs in this process, which a synchronous spawn would block.
      const coordinator = startSpecml(['exp', spec, '--runs-dir', runsDir], { SPECML_QUEUE: redis.url });
      expect(await coordinator.exited).toBe(1);
      expect(coordinator.output().stderr).toMatch(/^internal error: the run failed on its worker: refused the result of job run-[0-9a-f]{16}: its result names run "\.\.", which is not a plain folder name\n$/);
    } finally {
      await rogue.close();
    }
    expect(readFileSync(join(work, 'coordinator', 'precious.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(runsDir, 'trusted', 'earlier-run', 'summary.json'), 'utf8')).toBe('{}');
  });

  it('refuses a job whose data would be read from the worker\'s own disk, quoting nothing of the file', async () => {
    // A rogue Redis client's job: a table at a path of the worker's machine, and no shipped dataset.
    const secret = join(work, 'secret.csv');
    writeFileSync(secret, 'root:$6$s3cr3t-hash,shell\n1,/bin/sh\n2,/bin/sh\n');
    const rogueSpec = `name: rogue\ndata: { dataset: csv, path: ${secret}, target: shell }\nmodel:\n  layers:\n    - { units: 2, activation: softmax }\nepochs: 1\n`;
    const worker = await startServing(['worker', '--queue-file', queueFile, '--work-dir', join(work, 'worker-disk')], /waiting for trials/);
    try {
      const job = await queue.add('trial', { ...valid('r-disk'), specText: rogueSpec, specFile: 'rogue.yaml', dataset: null }, { jobId: 'reads-the-disk' });
      expect(await waitFor(async () => (await Job.fromId(queue, job.id!))?.failedReason !== undefined)).toBe(true);
      const reason = (await Job.fromId(queue, job.id!))!.failedReason;
      expect(reason).toMatch(/^refused by worker \S+: its data \(dataset csv\) name files, and a worker reads no file of its own disk for a job: they must come shipped by the sweep's coordinator$/);
      expect(`${reason}${worker.output().stdout}${worker.output().stderr}`).not.toMatch(/s3cr3t|root:|\/bin\/sh/);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });

  it('resolves a queued sweep\'s data from the spec\'s folder: a same-named decoy where the coordinator starts is never read', async () => {
    const project = join(work, 'project');
    mkdirSync(join(project, 'data'), { recursive: true });
    copyFileSync(join(root, 'experiments/data/iris.csv'), join(project, 'data', 'flowers.csv'));
    const spec = join(project, 'flowers.yaml');
    writeFileSync(spec, 'name: flowers\ndata: { dataset: csv, path: data/flowers.csv, target: species }\nmodel:\n  layers:\n    - { units: 8, activation: relu }\n    - { units: 3, activation: softmax }\nbatchSize: 16\nepochs: 3\n');
    // The decoy: the same relative path from where the command is typed, with other classes.
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(join(elsewhere, 'data'), { recursive: true });
    const decoy = readFileSync(join(root, 'experiments/data/iris.csv'), 'utf8').replace(/setosa|versicolor|virginica/g, (name) => `decoy-${name}`);
    writeFileSync(join(elsewhere, 'data', 'flowers.csv'), decoy);
    const worker = await startServing(['worker', '--queue-file', queueFile, '--work-dir', join(work, 'worker-decoy')], /waiting for trials/);
    const runsDir = join(work, 'runs-decoy');
    try {
      const queued = specml(['exp', '../project/flowers.yaml', '--sweep', 'seed=1,2', '--queue-file', queueFile, '--runs-dir', runsDir], {}, elsewhere);
      expect(queued.status, queued.stderr).toBe(0);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const trials = readdirSync(join(runsDir, 'flowers')).filter((entry) => !entry.startsWith('sweep-')).map((entry) => join(runsDir, 'flowers', entry));
    expect(trials).toHaveLength(2);
    for (const trial of trials) {
      const summary = JSON.parse(readFileSync(join(trial, 'summary.json'), 'utf8'));
      expect(summary.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
      // Trained on the spec's own file: the same as a local run of that seed, started from the decoy's folder too.
      const local = specml(['exp', '../project/flowers.yaml', '--set', `seed=${summary.seed}`, '--runs-dir', join(work, 'runs-decoy-local')], {}, elsewhere);
      expect(local.status, local.stderr).toBe(0);
      expect(learningOf(trial)).toEqual(learningOf(local.stdout.trim().split('\n').at(-1)!));
    }
  });

  it('takes the URL from $SPECML_QUEUE or a file, warns about a password on the command line, and never prints one', async () => {
    const worker = await startServing(['worker', '--queue', redis.url, '--work-dir', join(work, 'worker-argv')], /waiting for trials/);
    try {
      expect(worker.output().stderr).toBe('warning: --queue carries a password, which other users of this machine can read (ps, /proc/PID/cmdline); give the URL in $SPECML_QUEUE or a file (--queue-file) instead\n');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const slash = specml(['worker', '--queue', 'redis://:pass/s3cr3t@127.0.0.1:6379']);
    expect(slash).toMatchObject({ status: 2 });
    expect(slash.stderr).toMatch(/^error: --queue redis:\/\/\*\*\*@127\.0\.0\.1:6379: expected a Redis URL/);
    expect(slash.stderr).not.toContain('s3cr3t');
    const fromEnv = specml(['worker', '--work-dir', join(work, 'w')], { SPECML_QUEUE: 'redis://:pass/s3cr3t@127.0.0.1:1' });
    expect(fromEnv).toMatchObject({ status: 2 });
    expect(fromEnv.stderr).toMatch(/^error: \$SPECML_QUEUE redis:\/\/\*\*\*@127\.0\.0\.1:1: expected a Redis URL/);
    writeFileSync(join(work, 'bad-url'), 'redis://:hunter2@127.0.0.1:1\n');
    const fromFile = specml(['worker', '--queue-file', join(work, 'bad-url')]);
    expect(fromFile).toMatchObject({ status: 2, stderr: `error: --queue-file ${join(work, 'bad-url')}: redis://:***@127.0.0.1:1: cannot use Redis there: nothing listens on that port (is redis-server running, and reachable from here?)\n` });
    expect(specml(['worker', '--queue-file', join(work, 'no-such-file')])).toMatchObject({ status: 2, stderr: `error: --queue-file ${join(work, 'no-such-file')} does not exist: expected a file holding the queue's Redis URL on its first line\n` });
    expect(specml(['worker'])).toMatchObject({ status: 2, stderr: 'error: worker: give the queue with --queue-file <file>, $SPECML_QUEUE, or --queue <redis-url>\n' });
    expect(specml(['worker', '--queue-file', queueFile, '--concurrency', '100000'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^error: --concurrency 100000: this machine has \d+ cores, so at most \d+ trials at a time/) });
  });
});
