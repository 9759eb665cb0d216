import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { format, median, root, timed } from './bench-kit.js';

/**
 * `bench --text`: experiments/own-text.yaml (a bag of TF-IDF words and one dense layer, early stopping on
 * validation rows) against scikit-learn's TfidfVectorizer + LogisticRegression (Debian's python3-sklearn),
 * the practitioner's first try, on the same split of data/spam.csv (every fifth row held out for testing):
 * test accuracy and wall time of the whole process (start-up, reading, training, writing), side by side.
 */
export function benchText(pairs: number): void {
  const work = mkdtempSync(join(tmpdir(), 'specml-bench-text-'));
  try {
    const [header, ...rows] = parse(readFileSync(join(root, 'experiments/data/spam.csv'), 'utf8')) as string[][];
    writeFileSync(join(work, 'train.csv'), stringify([header, ...rows.filter((_, index) => index % 5 !== 0)]));
    writeFileSync(join(work, 'test.csv'), stringify([header, ...rows.filter((_, index) => index % 5 === 0)]));
    writeFileSync(join(work, 'reference.py'), REFERENCE);
    const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
    if (!hasSklearn) console.log('scikit-learn skipped: apt-get install python3-sklearn');
    console.log(`== text: experiments/own-text.yaml vs TfidfVectorizer + LogisticRegression, ${rows.length} e-mails (test: every fifth), ${pairs} pair(s) ==`);
    const ratios: number[] = [];
    for (let pair = 1; pair <= pairs; pair++) {
      const ours = timed('node', ['packages/runner/dist/main.js', 'exp', 'experiments/own-text.yaml', '--runs-dir', join(work, 'runs'), '--set', `data.path=${join(work, 'train.csv')}`, '--set', `data.testPath=${join(work, 'test.csv')}`]);
      const accuracy = Number(/final test accuracy ([\d.]+)/.exec(ours.stdout)?.[1]);
      let line = `pair ${pair}: ours ${format(ours.wallSeconds)} s, test accuracy ${format(accuracy, 4)}`;
      if (hasSklearn) {
        const reference = timed('/usr/bin/python3', [join(work, 'reference.py'), join(work, 'train.csv'), join(work, 'test.csv')]);
        ratios.push(ours.wallSeconds / reference.wallSeconds);
        line += ` | scikit-learn ${format(reference.wallSeconds)} s, test accuracy ${format(Number(reference.stdout.trim()), 4)} | wall-time ratio ${format(ratios.at(-1)!)}`;
      }
      console.log(line);
    }
    if (ratios.length) console.log(`median wall-time ratio ours/scikit-learn: ${format(median(ratios))}`);
    console.log('embedding + pooling (sequence encoders): not built yet');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Each text column its own TF-IDF (scikit-learn's defaults), side by side, into a logistic regression.
const REFERENCE = `import csv, sys
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
train, test = (list(csv.DictReader(open(name, newline=''))) for name in sys.argv[1:3])
vectorizers = {column: TfidfVectorizer() for column in ('subject', 'body')}
X = hstack([vectorizer.fit_transform([row[column] for row in train]) for column, vectorizer in vectorizers.items()]).tocsr()
model = LogisticRegression(max_iter=1000).fit(X, [row['label'] for row in train])
X_test = hstack([vectorizer.transform([row[column] for row in test]) for column, vectorizer in vectorizers.items()]).tocsr()
print((model.predict(X_test) == [row['label'] for row in test]).mean())
`;
