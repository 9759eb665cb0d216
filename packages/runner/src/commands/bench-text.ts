import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { format, median, root, timed } from './bench-kit.js';

/** The two text models: a bag of TF-IDF words into one dense layer, and token ids through an embedding and max pooling. */
const TEXT_EXAMPLES = ['experiments/own-text.yaml', 'experiments/own-text-sequence.yaml'] as const;

/**
 * `bench --text`: experiments/own-text.yaml (a bag of TF-IDF words and one dense layer) and
 * own-text-sequence.yaml (embedding + max pooling), both stopping early on validation rows, against
 * scikit-learn's TfidfVectorizer + LogisticRegression (Debian's python3-sklearn), the practitioner's first
 * try, on the same split of data/spam.csv (every fifth row held out for testing): test accuracy and wall time
 * of the whole process (start-up, reading, training, writing), side by side.
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
    console.log(`== text: ${TEXT_EXAMPLES.join(' and ')} vs TfidfVectorizer + LogisticRegression, ${rows.length} e-mails (test: every fifth), ${pairs} pair(s) ==`);
    const ratios: Record<string, number[]> = Object.fromEntries(TEXT_EXAMPLES.map((example) => [example, []]));
    for (let pair = 1; pair <= pairs; pair++) {
      // Ours and the reference alternate, so that a slower minute of the machine weighs on both.
      const reference = hasSklearn ? timed('/usr/bin/python3', [join(work, 'reference.py'), join(work, 'train.csv'), join(work, 'test.csv')]) : undefined;
      if (reference) console.log(`pair ${pair}: scikit-learn ${format(reference.wallSeconds)} s, test accuracy ${format(Number(reference.stdout.trim()), 4)}`);
      for (const example of TEXT_EXAMPLES) {
        const ours = timed('node', ['packages/runner/dist/main.js', 'exp', example, '--runs-dir', join(work, 'runs'), '--set', `data.path=${join(work, 'train.csv')}`, '--set', `data.testPath=${join(work, 'test.csv')}`]);
        const accuracy = Number(/final test accuracy ([\d.]+)/.exec(ours.stdout)?.[1]);
        if (reference) ratios[example].push(ours.wallSeconds / reference.wallSeconds);
        console.log(`  ${example}: ${format(ours.wallSeconds)} s, test accuracy ${format(accuracy, 4)}${reference ? ` | wall-time ratio ${format(ratios[example].at(-1)!)}` : ''}`);
      }
    }
    for (const example of TEXT_EXAMPLES) if (ratios[example].length) console.log(`median wall-time ratio ${example}/scikit-learn: ${format(median(ratios[example]))}`);
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
