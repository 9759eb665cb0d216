import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { writeTwoClassImageFolder } from '@specml/data/test-fixtures';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME, SPECML_VERSION } from './queue-protocol.js';
import { digitsRun, lastLine, learningOf, root, specml, startServing, startSpecml, temporaryFolder, TINY_SPEC, waitFor, withoutTestSetWarning } from '../test-kit/test-cli.js';
import { REDIS_PASSWORD, redisInstalled, startRedis } from '../commands/local-redis.js';

const work = temporaryFolder('queue');

const SPEC = TINY_SPEC('queued');


/** Every file under a folder, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => (statSync(join(dir, entry)).isDirectory() ? filesUnder(join(dir, entry), `${prefix}${entry}/`) : [`${prefix}${entry}`]));
}

describe.skipIf(!redisInstalled)('sweeps through a Redis queue (BullMQ), workers in separate folders', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const workers: Array<ReturnType<typeof startSpecml> & { name: string; dir: string }> = [];
  /** Starts a worker process in its own work dir; resolves once it waits for trials. */
  const startWorker = async (): Promise<ReturnType<typeof startSpecml> & { name: string; dir: string }> => {
    const dir = join(work, `worker-${workers.length + 1}`);
    const worker = await startServing(['worker', '--queue-file', queueFile, '--work-dir', dir], /waiting for trials/);
    expect(worker.output().stdout).toMatch(/^worker \S+\/\d+: waiting for trials on redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ /);
    const started = { ...worker, name: /^worker (\S+):/.exec(worker.output().stdout)![1], dir };
    workers.push(started);
    return started;
  };
  /** The running workers, started up to `count`. */
  const ensureWorkers = async (count: number) => {
    while (workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null).length < count) await startWorker();
    return workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
  };
  const stopWorkers = async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null) worker.child.kill('SIGTERM');
      await worker.exited;
    }
  };

  /** A spec without a sweep, for single runs. */
  const single = join(work, 'single.yaml');
  /** The queue's URL (with its password) in a file, as the README recommends: never on a command line. */
  const queueFile = join(work, 'queue-url');

  beforeAll(async () => {
    writeFileSync(single, SPEC);
    mkdirSync(join(work, 'redis'));
    redis = await startRedis(join(work, 'redis'));
    writeFileSync(queueFile, `${redis.url}\n`);
  });
  afterAll(async () => {
    await stopWorkers();
    await redis?.stop();
  });

  it('spreads a sweep over two workers and leaves complete run folders here, with no shared files and no password anywhere', async () => {
    const [first, second] = await ensureWorkers(2);
    const spec = join(work, 'grid.yaml');
    writeFileSync(spec, `${SPEC}sweep:\n  optimizer.learningRate: [0.01, 0.001]\n  batchSize: [32, 64]\n`);
    const runsDir = join(work, 'runs');
    const result = specml(['exp', spec, '--queue-file', queueFile, '--runs-dir', runsDir]);
    expect(withoutTestSetWarning(result.stderr)).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^sweep queued: 4 trials \(optimizer\.learningRate × 2, batchSize × 2\) through the queue, up to 4 at a time/m);
    expect(result.stdout).toMatch(new RegExp(`^trial \\d/4 epoch 2 on (${first.name}|${second.name}): test accuracy 0\\.\\d{4}$`, 'm'));

    const sweepDir = join(runsDir, 'queued', readdirSync(join(runsDir, 'queued')).find((entry) => entry.startsWith('sweep-q'))!);
    const record = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
    expect(record.trials.map((trial: { state: string }) => trial.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    // Both workers took trials, and each run folder has what a local run's has.
    expect(new Set(record.trials.map((trial: { worker: string }) => trial.worker))).toEqual(new Set([first.name, second.name]));
    const localRun = digitsRun();
    for (const trial of record.trials) {
      const runDir = join(runsDir, 'queued', trial.runId);
      expect(filesUnder(runDir).sort()).toEqual(filesUnder(localRun).sort());
      expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', epochsCompleted: 2, worker: trial.worker });
    }
    expect(existsSync(join(runsDir, 'index.html'))).toBe(true);
    // The workers ran the trials in their own folders, and kept nothing there.
    for (const worker of [first, second]) {
      expect(await waitFor(() => /: completed$/m.test(worker.output().stdout), 5)).toBe(true); // its output, held while specml() blocked this process
      expect(worker.output().stdout).toMatch(/^trial sweep-q\w+-\d \(optimizer\.learningRate=\S+ batchSize=\d+\): started\ntrial sweep-q\w+-\d: completed$/m);
      expect(filesUnder(join(worker.dir, 'runs'))).toEqual([]);
    }
    const everything = [result.stdout, result.stderr, first.output().stdout, second.output().stdout, ...filesUnder(runsDir).map((file) => readFileSync(join(runsDir, file), 'latin1'))].join('\n');
    expect(everything).not.toContain(REDIS_PASSWORD);
  });

  it('moves a trial whose worker was SIGKILLed to another, which goes on from the checkpoint in Redis to the metrics of an uninterrupted run', async () => {
    await ensureWorkers(2);
    const spec = join(work, 'long.yaml');
    writeFileSync(spec, SPEC.replace('epochs: 2', 'epochs: 30'));
    const runsDir = join(work, 'runs-takeover');
    const coordinator = startSpecml(['exp', spec, '--queue-file', queueFile, '--runs-dir', runsDir]);
    expect(await waitFor(() => /^epoch 2 on /m.test(coordinator.output().stdout))).toBe(true);
    const [, victimName, victimPid] = /^epoch 2 on (\S+\/(\d+)):/m.exec(coordinator.output().stdout)!;
    process.kill(Number(victimPid), 'SIGKILL');
    expect(await coordinator.exited).toBe(0);
    const { stdout } = coordinator.output();
    const runDir = lastLine(stdout);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'completed', epochsCompleted: 30, resumes: 1 });
    expect(summary.worker).not.toBe(victimName);
    expect(workers.find((worker) => worker.output().stdout.includes(summary.worker))!.output().stdout).toMatch(/: started from its checkpoint after epoch \d+$/m);

    const alone = specml(['exp', spec, '--runs-dir', join(work, 'runs-alone')]);
    expect(learningOf(runDir)).toEqual(learningOf(lastLine(alone.stdout)));
  });

  it('ships the user\'s own image folder to a worker whose machine has no copy of it, which trains what a local run trains', async () => {
    await stopWorkers();
    const photos = join(work, 'photos');
    await writeTwoClassImageFolder(photos, 'train', 12);
    await writeTwoClassImageFolder(photos, 'test', 4);
    const spec = join(work, 'photos.yaml');
    writeFileSync(spec, 'name: photos\ndata: { dataset: imageFolder, path: photos/train, testPath: photos/test, imageSize: 10 }\nmodel:\n  layers:\n    - { units: 8, activation: relu }\n    - { units: 2, activation: softmax }\nbatchSize: 4\nepochs: 2\n');
    const runsDir = join(work, 'runs-photos');
    const coordinator = startSpecml(['exp', spec, '--queue-file', queueFile, '--runs-dir', runsDir]);
    // The job waits in Redis with its dataset; then the files go away, and a worker with an empty cache starts.
    const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port, password: REDIS_PASSWORD } });
    expect(await waitFor(async () => (await queue.getWaitingCount()) > 0)).toBe(true);
    await queue.close();
    renameSync(photos, `${photos}-elsewhere`);
    const dir = join(work, 'worker-without-files');
    const worker = await startServing(['worker', '--queue-file', queueFile, '--work-dir', dir], /waiting for trials/, { SPECML_CACHE_DIR: join(dir, 'cache') });
    workers.push({ ...worker, name: 'without-files', dir });
    expect(await coordinator.exited).toBe(0);
    const runDir = lastLine(coordinator.output().stdout);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', classNames: ['left', 'right'] });
    expect(readdirSync(join(dir, 'cache', 'shipped'))).toHaveLength(1);
    // The same spec trained here, on the files, learns exactly the same.
    renameSync(`${photos}-elsewhere`, photos);
    const local = specml(['exp', spec, '--runs-dir', join(work, 'runs-photos-local')]);
    expect(local.status, local.stderr).toBe(0);
    expect(learningOf(lastLine(local.stdout))).toEqual(learningOf(runDir));
  });

  it('reattaches when the coordinator is started again after being killed: finished trials are not run again', async () => {
    await stopWorkers();
    const worker = await startWorker();
    const spec = join(work, 'reattach.yaml');
    writeFileSync(spec, `${SPEC}sweep:\n  epochs: [1, 25]\n`);
    const runsDir = join(work, 'runs-reattach');
    const first = startSpecml(['exp', spec, '--queue-file', queueFile, '--runs-dir', runsDir]);
    expect(await waitFor(() => /^trial 2\/2 epoch 1 on /m.test(first.output().stdout))).toBe(true);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    const again = specml(['exp', spec, '--queue-file', queueFile, '--runs-dir', runsDir]);
    // The killed coordinator's hold on the sweep folder is taken over, said once.
    expect(withoutTestSetWarning(again.stderr)).toMatch(/^note: \S+sweep-q\w+ was locked by pid \d+, which is no longer running; taking it over\n$/);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^reattaching to \S+sweep-q\w+, started earlier with the same spec$/m);
    const csv = /^sweep summary: (\S+)$/m.exec(again.stdout)![1];
    expect(readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((row) => row.split(',').slice(0, 3).join(','))).toEqual(['1,1,completed', '2,25,completed']);
    // Each trial ran once.
    expect(worker.output().stdout.match(/: started/g)).toHaveLength(2);
  });

  it('stops losing trials early through the queue, and on Ctrl-C interrupts the queued sweep, which then resumes', async () => {
    await ensureWorkers(1);
    const spec = join(work, 'search.yaml');
    writeFileSync(spec, `${SPEC.replace('epochs: 2', 'epochs: 3')}sweep:
  method: random
  trials: 4
  parameters:
    optimizer.learningRate: { min: 0.0001, max: 0.3, distribution: logUniform }
  earlyStop: { type: asha, minEpochs: 1, eta: 2 }
`);
    const searched = specml(['exp', spec, '--queue-file', queueFile, '--runs-dir', join(work, 'runs-search'), '--workers', '1']);
    expect(searched.status).toBe(0);
    expect(searched.stdout).toMatch(/: stopped, test_accuracy 0\.\d{4} → /);

    const long = join(work, 'interrupted.yaml');
    writeFileSync(long, `${SPEC.replace('epochs: 2', 'epochs: 120')}sweep:\n  batchSize: [16, 32]\n`);
    const runsDir = join(work, 'runs-interrupted');
    const sweep = startSpecml(['exp', long, '--queue-file', queueFile, '--runs-dir', runsDir, '--workers', '1']);
    expect(await waitFor(() => /^trial 1\/2 epoch 2 on /m.test(sweep.output().stdout))).toBe(true);
    sweep.child.kill('SIGINT');
    expect(await sweep.exited).toBe(130);
    const sweepDir = new RegExp(`--resume (\\S+) --queue-file ${queueFile}$`, 'm').exec(sweep.output().stderr)![1];
    const states = () => JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')).trials.map((trial: { state: string }) => trial.state);
    expect(states()).toEqual(['interrupted', 'not started']);
    // The interrupted trial's folder came back with its checkpoint; resumed through the queue, it goes on from there.
    const resumed = specml(['exp', '--resume', sweepDir, '--queue-file', queueFile]);
    expect(resumed.status).toBe(0);
    expect(states()).toEqual(['completed', 'completed']);
    const first = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')).trials[0];
    expect(JSON.parse(readFileSync(join(runsDir, 'queued', first.runId, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', resumes: 1, epochsCompleted: 120 });
  }, 180_000); // a search, then two trials of 120 epochs through the queue: about a minute on a quiet 2-core machine

  it('fails a malformed, invalid or other-version job with its reason and keeps serving', async () => {
    const [worker] = await ensureWorkers(1);
    const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port, password: REDIS_PASSWORD } });
    try {
      const valid = { version: SPECML_VERSION, specText: SPEC, specFile: 'tampered.yaml', overrides: [], awaitVerdicts: false, runId: 'tampered' };
      const jobs = await Promise.all([
        queue.add('trial', { garbage: true, specText: 42 }, { jobId: 'tampered-1' }),
        queue.add('trial', { ...valid, overrides: ['epochs=-3'] }, { jobId: 'tampered-2' }),
        queue.add('trial', { ...valid, version: '0.0.1-old' }, { jobId: 'tampered-3' }),
        queue.add('trial', { ...valid, dataset: '../../datasets/x' }, { jobId: 'tampered-4' }),
        queue.add('trial', { ...valid, dataset: 'ab'.repeat(32) }, { jobId: 'tampered-5' }),
        queue.add('trial', { ...valid, refit: 'yes' }, { jobId: 'tampered-6' }),
      ]);
      expect(await waitFor(() => (worker.output().stdout.match(/: failed: refused by worker /g) ?? []).length >= 6)).toBe(true);
      const reasons = await Promise.all(jobs.map(async (job) => (await Job.fromId(queue, job.id!))!.failedReason));
      expect(reasons[0]).toMatch(/^refused by worker \S+: malformed job: unknown key "garbage", version must be a string, specText must be a string/);
      expect(reasons[1]).toMatch(/^refused by worker \S+: invalid trial: --set epochs=-3: epochs: must be >= 0, got -3/);
      expect(reasons[2]).toBe(`refused by worker ${worker.name}: it runs specml ${SPECML_VERSION}, the job comes from specml 0.0.1-old; run the same version on both`);
      // A dataset is named by its SHA-256 only, and must be in Redis.
      expect(reasons[3]).toBe(`refused by worker ${worker.name}: malformed job: dataset must be null or a SHA-256 in hex`);
      expect(reasons[4]).toBe(`refused by worker ${worker.name}: its dataset abababababab… is not in Redis (expired, or Redis restarted empty); start the sweep again to ship it`);
      expect(reasons[5]).toBe(`refused by worker ${worker.name}: malformed job: refit must be true or false`);
    } finally {
      await queue.close();
    }
    const run = specml(['exp', single, '--queue-file', queueFile, '--runs-dir', join(work, 'runs-after')]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^done in [\\d.]+ s on native \\(worker ${worker.name}\\): final test accuracy 0\\.\\d{4}$`, 'm'));
  });

  it('sweeps cross-validated trials through the queue, each fold a member on a worker, and refits there: the numbers a local sweep gives', async () => {
    await ensureWorkers(2);
    const spec = join(work, 'folds.yaml');
    writeFileSync(spec, `name: folded\nseed: 3\ndata: { dataset: csv, path: ${join(root, 'experiments/data/iris.csv')}, target: species, folds: 2 }\nmodel:\n  layers:\n    - { units: 8, activation: relu }\n    - { units: 3, activation: softmax }\noptimizer: { name: adam, learningRate: 0.05 }\nbatchSize: 8\nepochs: 3\nsweep:\n  optimizer.learningRate: [0.05, 0.005]\n  refit: true\n`);
    const sweepOf = (runsDir: string) => {
      const sweepDir = join(runsDir, 'folded', readdirSync(join(runsDir, 'folded')).find((entry) => entry.startsWith('sweep-'))!);
      const record = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
      const summaryOf = (runId: string) => JSON.parse(readFileSync(join(runsDir, 'folded', runId, 'summary.json'), 'utf8'));
      return { record, trials: record.trials.map((trial: { runId: string }) => summaryOf(trial.runId)), refit: summaryOf(record.refit.runId) };
    };
    const queued = specml(['exp', spec, '--queue-file', queueFile, '--runs-dir', join(work, 'runs-folds')]);
    expect(queued.status, queued.stderr).toBe(0);
    expect(queued.stdout).toMatch(/^trial 1\/2 run folded\/\S+: 2 members \(2 folds\), 2 at a time$/m);
    const remote = sweepOf(join(work, 'runs-folds'));
    // Each member and the refit came back from a worker into the sweep's folders.
    const workerNames = workers.map((worker) => worker.name);
    for (const [index, trial] of remote.trials.entries()) {
      expect(trial.members.map((member: { status: string }) => member.status)).toEqual(['completed', 'completed']);
      for (const member of trial.members) expect(workerNames).toContain(JSON.parse(readFileSync(join(work, 'runs-folds', 'folded', remote.record.trials[index].runId, member.dir, 'summary.json'), 'utf8')).worker);
    }
    expect(remote.refit).toMatchObject({ refit: true, status: 'completed' });
    expect(workerNames).toContain(remote.refit.worker);
    const local = specml(['exp', spec, '--runs-dir', join(work, 'runs-folds-local')]);
    expect(local.status, local.stderr).toBe(0);
    const here = sweepOf(join(work, 'runs-folds-local'));
    expect(remote.trials.map((trial: { final: unknown }) => trial.final)).toEqual(here.trials.map((trial: { final: unknown }) => trial.final));
    expect(remote.refit.final).toEqual(here.refit.final);
  });

  it('works over TLS (rediss://) with a private CA, and says what is wrong without it', async () => {
    mkdirSync(join(work, 'redis-tls'));
    const secure = await startRedis(join(work, 'redis-tls'), { tls: true });
    try {
      const trust = { NODE_EXTRA_CA_CERTS: secure.ca, SPECML_QUEUE: secure.url };
      const worker = await startServing(['worker', '--work-dir', join(work, 'worker-tls')], /waiting for trials/, trust);
      const run = specml(['exp', single, '--runs-dir', join(work, 'runs-tls')], trust);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(withoutTestSetWarning(run.stderr)).toBe('');
      expect(run.status).toBe(0);
      expect(existsSync(join(lastLine(run.stdout), 'model', 'model.json'))).toBe(true);
      const untrusted = specml(['exp', single], { SPECML_QUEUE: secure.url });
      expect(untrusted).toMatchObject({ status: 2, stderr: `error: $SPECML_QUEUE rediss://:***@127.0.0.1:${secure.port}: cannot use Redis there: self-signed certificate (a server certificate from a private CA is trusted with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)\n` });
      const plain = specml(['exp', single], { SPECML_QUEUE: secure.url.replace('rediss:', 'redis:') });
      expect(plain.status).toBe(2);
      expect(plain.stderr).toMatch(/^error: \$SPECML_QUEUE redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: cannot use Redis there: the connection was dropped \(.*; TLS on one side only\? use rediss:\/\/ for a TLS port\)\n$/);
    } finally {
      await secure.stop();
    }
  });

  it('says in one line, within seconds, when Redis cannot be reached or refuses the password (exit 2)', () => {
    const spec = single;
    const unreachable = specml(['exp', spec, '--queue', 'redis://127.0.0.1:1']);
    expect(unreachable).toMatchObject({ status: 2, stderr: 'error: --queue redis://127.0.0.1:1: cannot use Redis there: nothing listens on that port (is redis-server running, and reachable from here?)\n' });
    const wrong = specml(['worker'], { SPECML_QUEUE: `redis://:not-the-password@127.0.0.1:${redis.port}` });
    expect(wrong).toMatchObject({ status: 2, stderr: `error: $SPECML_QUEUE redis://:***@127.0.0.1:${redis.port}: cannot use Redis there: Redis refused the password (check the password in the URL)\n` });
    const missing = specml(['exp', spec, '--queue', `redis://127.0.0.1:${redis.port}`]);
    expect(missing).toMatchObject({ status: 2, stderr: `error: --queue redis://127.0.0.1:${redis.port}: cannot use Redis there: Redis needs a password (redis://:PASSWORD@host:port)\n` });
    expect(specml(['exp', spec, '--queue', 'http://example.org'])).toMatchObject({
      status: 2,
      stderr: 'error: --queue http://example.org: expected a Redis URL, redis://[:password@]host:port (or rediss:// for TLS), e.g. redis://127.0.0.1:6379; a password with "/", "@" or ":" must be percent-encoded (%2F, %40, %3A)\n',
    });
  });
});
