import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIdx } from '@specml/data';
import { ACTIVATIONS } from '@specml/model-zoo';
import { describe, expect, it } from 'vitest';
import { cli, cliEnv, lastLine, root, SMALL_SPEC, specml, temporaryFolder, withoutTimings } from './test-kit/test-cli.js';

const work = temporaryFolder('cli');

const SMALL = SMALL_SPEC;

function spec(name: string, content: string): string {
  const file = join(work, name);
  writeFileSync(file, content);
  return file;
}


describe('specml exp', () => {
  it('trains the small spec end to end and leaves a complete run folder', () => {
    const runsDir = join(work, 'runs-small');
    const { code, stdout, stderr } = specml(['exp', spec('small.yaml', SMALL), '--runs-dir', runsDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    const runDir = lines.at(-1)!;
    expect(runDir.startsWith(join(runsDir, 'small') + '/')).toBe(true);
    expect(stdout).toMatch(/^initial test accuracy: 0\.\d{4} \(test loss \d\.\d{4}\)$/m);
    expect(stdout).toMatch(/^epoch 2\/2: test accuracy 0\.\d{4}/m);
    expect(readdirSync(runDir).sort()).toEqual([
      'confusion.csv', 'confusion.png', 'curves.png', 'metrics.csv', 'misclassified.png', 'model', 'per-class.csv', 'predictions.png', 'report.html', 'spec.yaml', 'summary.json',
    ]);
    expect(readdirSync(join(runDir, 'model')).sort()).toEqual(['model.json', 'weights.bin']);

    const rows = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,train_loss,train_accuracy,test_loss,test_accuracy,test_f1,test_auc,epoch_seconds,samples_per_second');
    expect(rows).toHaveLength(4);
    const epoch0 = rows[1].split(',');
    expect(epoch0.slice(0, 3)).toEqual(['0', '', '']);
    expect(Number(epoch0[4])).toBeLessThan(0.3);
    const last = rows[3].split(',').map(Number);
    expect(last[0]).toBe(2);
    expect(last[4]).toBeGreaterThan(0.85);

    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ name: 'small', status: 'completed', epochs: 2, seed: 1, backend: 'native', final: { test_accuracy: last[4] }, best: null, parameters: 784 * 64 + 64 + 64 * 10 + 10 });
    expect(summary.runId).toBe(runDir.split('/').at(-1));
    expect(summary.durationSeconds).toBeGreaterThan(0);
    const resolved = readFileSync(join(runDir, 'spec.yaml'), 'utf8');
    expect(resolved).toContain('beta2: 0.999');
    expect(resolved).toContain('trainLimit: 3000');
    expect(readFileSync(join(runDir, 'predictions.png')).subarray(1, 4).toString()).toBe('PNG');

    // Reproducible: the same spec and seed on the same backend give the same metrics.
    const again = specml(['exp', join(work, 'small.yaml'), '--runs-dir', runsDir]);
    const againDir = lastLine(again.stdout);
    expect(againDir).not.toBe(runDir);
    expect(withoutTimings(readFileSync(join(againDir, 'metrics.csv'), 'utf8'))).toEqual(withoutTimings(rows.join('\n')));
  });

  it('runs through `nx run runner:exp` with --set and --runs-dir forwarded', () => {
    const runsDir = join(work, 'runs-nx');
    const result = spawnSync('npx', ['nx', 'run', 'runner:exp', spec('nx.yaml', SMALL), '--set', 'epochs=1', '--runs-dir', runsDir], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NX_DEFAULT_OUTPUT_STYLE: 'static', FORCE_COLOR: '0' },
    });
    expect(result.status).toBe(0);
    const [runId] = readdirSync(join(runsDir, 'small'));
    expect(readFileSync(join(runsDir, 'small', runId, 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('lets any number of launches run together: three `nx run runner:exp`, `npm run build` and `npx specml` all succeed', async () => {
    // A person starting runs in three terminals right after a build: Nx must never restore build outputs
    // (its cache) under a launch that is importing them.
    const runsDir = join(work, 'runs-concurrent');
    const env = { ...process.env, CI: 'true', NX_DEFAULT_OUTPUT_STYLE: 'static', FORCE_COLOR: '0', SPECML_QUEUE: '' };
    expect(spawnSync('npm', ['run', 'build'], { cwd: root, env, encoding: 'utf8' }).status).toBe(0);
    const file = spec('concurrent.yaml', SMALL);
    const launch = (command: string, args: string[]) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('close', (code) => resolve({ code, output }));
      });
    const nxRun = ['nx', 'run', 'runner:exp', file, '--set', 'epochs=1', '--runs-dir', runsDir];
    const results = await Promise.all([
      launch('npx', nxRun),
      launch('npx', nxRun),
      launch('npx', nxRun),
      launch('npm', ['run', 'build']),
      launch('npx', ['specml', 'exp', file, '--set', 'epochs=1', '--runs-dir', runsDir]),
    ]);
    for (const result of results) expect([result.code, result.output]).toEqual([0, expect.not.stringMatching(/ERR_MODULE_NOT_FOUND|Error/)]);
    expect(readdirSync(join(runsDir, 'small')).filter((entry) => !entry.endsWith('.html'))).toHaveLength(4);
  });

  it('prints the run folder as a path that works from the folder the command was typed in (nx runs it from the root)', () => {
    const caller = join(work, 'typed-here');
    mkdirSync(caller);
    const result = spawnSync(process.execPath, [cli, 'exp', spec('caller.yaml', SMALL), '--runs-dir', 'runs-caller', '--set', 'epochs=1'], {
      cwd: root,
      env: { ...cliEnv, INIT_CWD: caller },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    const printed = lastLine(result.stdout);
    expect(printed).toMatch(/^runs-caller\/small\/\S+$/);
    expect(existsSync(join(caller, printed, 'summary.json'))).toBe(true);
  });

  it('adds validation columns to metrics.csv when the spec holds out a validation set', () => {
    const runsDir = join(work, 'runs-validation');
    const { code, stdout } = specml(['exp', spec('validation.yaml', SMALL), '--runs-dir', runsDir, '--set', 'data.validationSplit=0.2', '--set', 'epochs=1']);
    expect(code).toBe(0);
    const rows = readFileSync(join(lastLine(stdout), 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,train_loss,train_accuracy,test_loss,test_accuracy,test_f1,test_auc,epoch_seconds,samples_per_second,validation_loss,validation_accuracy,validation_f1,validation_auc');
    expect(Number(rows[2].split(',')[8])).toBeGreaterThan(0.5);
    expect(stdout).toMatch(/; validation accuracy 0\.\d{4}$/m);
  });

  it('trains on the wasm backend when asked, and records it', () => {
    const runsDir = join(work, 'runs-wasm');
    const { code, stdout } = specml(['exp', spec('wasm.yaml', SMALL), '--runs-dir', runsDir, '--backend', 'wasm', '--set', 'epochs=1', '--set', 'data.trainLimit=1000']);
    expect(code).toBe(0);
    expect(stdout).toContain('backend: wasm\n');
    expect(JSON.parse(readFileSync(join(lastLine(stdout), 'summary.json'), 'utf8')).backend).toBe('wasm');
  });

  it('rejects a bad spec with exit 2, every problem located, no stack trace and nothing written', () => {
    const runsDir = join(work, 'runs-bad');
    const file = spec('bad.yaml', 'model:\n  layers:\n    - { units: 64, activation: relu }\n    - { units: 10, activation: softmx }\noptimizer: { name: adam, learningRate: -1 }\n');
    const { code, stdout, stderr } = specml(['exp', file, '--runs-dir', runsDir]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `error: ${file}:4:32: model.layers[1].activation: must be one of ${ACTIVATIONS.join(', ')}; got the string "softmx" (did you mean "softmax"?)`,
      `error: ${file}:5:40: optimizer.learningRate: must be > 0, got -1 (try 0.001)`,
    ]);
    expect(existsSync(runsDir)).toBe(false);
  });

  it('rejects a last layer that does not match the dataset\'s classes, before writing anything', () => {
    const runsDir = join(work, 'runs-classes');
    const file = spec('classes.yaml', SMALL.replace('{ units: 10, activation: softmax }', '{ units: 7, activation: softmax }'));
    const { code, stderr } = specml(['exp', file, '--runs-dir', runsDir]);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: ${file}:6:16: model.layers[1].units: the last layer has 7 units, but mnist has 10 classes (set units: 10)\n`);
    expect(existsSync(runsDir)).toBe(false);
  });

  it('locates layers that do not fit the image, before writing anything', () => {
    const runsDir = join(work, 'runs-shapes');
    const file = spec('shapes.yaml', 'model:\n  layers:\n    - { units: 32, activation: relu }\n    - { type: conv2d, filters: 4 }\n    - { units: 10, activation: softmax }\n');
    const { code, stderr } = specml(['exp', file, '--runs-dir', runsDir]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${file}:4:7: model.layers[1]: a conv2d layer needs an image-shaped input, but its input is a vector (put convolution and pooling layers before flatten and dense layers; table rows are vectors: use dense layers)\n`,
    );
    expect(existsSync(runsDir)).toBe(false);
  });

  it('names a truncated dataset file, exit 2, nothing written', () => {
    const folder = join(work, 'idx-cut');
    mkdirSync(folder);
    const images = encodeIdx([20, 28, 28], new Uint8Array(20 * 784));
    writeFileSync(join(folder, 'train-images-idx3-ubyte'), images.subarray(0, images.length - 100));
    writeFileSync(join(folder, 'train-labels-idx1-ubyte'), encodeIdx([20], new Uint8Array(20)));
    writeFileSync(join(folder, 't10k-images-idx3-ubyte'), encodeIdx([5, 28, 28], new Uint8Array(5 * 784)));
    writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), encodeIdx([5], new Uint8Array(5)));
    const runsDir = join(work, 'runs-idx');
    const file = spec('idx.yaml', SMALL.replace('data: { trainLimit: 3000, testLimit: 1000 }', 'data: { dataset: idx, path: idx-cut }'));
    const { code, stderr } = specml(['exp', file, '--runs-dir', runsDir]);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: ${join(folder, 'train-images-idx3-ubyte')}: the header declares 20×28×28 = 15680 bytes of data, the file holds 15580 (truncated)\n`);
    expect(existsSync(runsDir)).toBe(false);
  });

  it('refuses an unavailable backend with exit 2 and says why', () => {
    const { code, stderr } = specml(['exp', spec('tf.yaml', SMALL), '--runs-dir', join(work, 'runs-tf'), '--backend', 'tensorflow']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: backend: tensorflow is not available: @tensorflow\/tfjs-node is not installed or does not load here .*\(use backend: auto\)\n$/);
  });

  it('stops a diverging run with exit 3 and marks it diverged', () => {
    const diverging = SMALL.replace('{ units: 64, activation: relu }', '{ units: 64, activation: linear }').replace('name: adam, learningRate: 0.001', 'name: sgd, learningRate: 10');
    const { code, stderr } = specml(['exp', spec('diverge.yaml', diverging), '--runs-dir', join(work, 'runs-diverge')]);
    expect(code).toBe(3);
    expect(stderr).toContain('error: the training loss became NaN or infinite in epoch 1: training diverged (try a lower optimizer.learningRate)');
    const runDir = stderr.trim().split('run folder: ')[1];
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'))).toMatchObject({ status: 'diverged', epochsCompleted: 0 });
  });

  it('exits 2 on an unknown option, with commander\'s message', () => {
    const { code, stderr } = specml(['exp', 'x.yaml', '--epochs', '3']);
    expect(code).toBe(2);
    expect(stderr).toBe("error: unknown option '--epochs'\n");
  });
});

describe('specml validate', () => {
  it('accepts the example specs without training', () => {
    for (const file of readdirSync(join(root, 'experiments')).filter((name) => name.endsWith('.yaml'))) {
      const { code, stdout } = specml(['validate', `experiments/${file}`]);
      expect(code, file).toBe(0);
      expect(stdout).toContain(`experiments/${file}: valid:`);
    }
  });

  it('reports problems with exit 2', () => {
    const { code, stderr } = specml(['validate', spec('v.yaml', 'epochs: -1\n')]);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toContain(`error: ${join(work, 'v.yaml')}:1:9: epochs: must be >= 0, got -1`);
  });
});
