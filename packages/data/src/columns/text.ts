import type { TableColumn } from '../dataset.js';
import { UserError } from '../errors.js';
import { EMPTY, NUMBER_CELL, type CsvTable } from '../table-cells.js';
import { tokenize, TOKENIZER_VERSION, type TokenizerSettings } from '../text/tokenize.js';
import { columnKind, type ColumnData } from './kind.js';

type TextColumn = Extract<TableColumn, { type: 'text' }>;
export const BAG_MODES = ['tfidf', 'count', 'multiHot'] as const;
const DEFAULTS = { maxTokens: 10_000, ngrams: 1, lowercase: true, bag: 'tfidf', sublinearTf: false, maxLength: 200 } as const;
/** Token ids of a sequence: 0 pads a short text (the inputs start as zeros), 1 stands for a token outside the vocabulary, the vocabulary's start at 2. */
export const UNKNOWN_ID = 1;
export const FIRST_TOKEN_ID = 2;

/** Whether the column is read as a sequence of token ids rather than a bag of words. */
export const isSequenceText = (column: TableColumn): column is TextColumn & { encoding: 'sequence'; maxLength: number } => column.type === 'text' && column.encoding === 'sequence';

/**
 * Free text (a review, an e-mail, a ticket): tokenized (text/tokenize.ts), a vocabulary of the training
 * rows' most frequent tokens, each row a bag of words over it — TF-IDF (scikit-learn's TfidfVectorizer:
 * smooth idf, rows scaled to length 1), counts or 0/1 (Keras' TextVectorization output_mode) — so the
 * model's dense layers read it like any other inputs; tokens outside the vocabulary are left out. Or, with
 * `encoding: sequence`, the ids of its first maxLength tokens in order (Keras' output_mode int), for an
 * embedding layer. A missing cell is no tokens.
 */
export const text = columnKind<TextColumn>({
  description: `free text (reviews, e-mails, tickets): words of any script, emoji, markup removed; a bag of words over the training rows' most frequent tokens, TF-IDF by default, or a sequence of token ids for an embedding layer; settings with their defaults: { type: text, maxTokens: ${DEFAULTS.maxTokens}, ngrams: 1 (2 adds word pairs), lowercase: true, encoding: bag (or sequence), bag: tfidf (or count, multiHot), sublinearTf: false, maxLength: ${DEFAULTS.maxLength} (sequence) }`,
  example: ['Tasty and cheap, will buy again', 'Not good at all, stale', '', 'Great taste, great price!', 'The box arrived crushed'],
  settings: {
    maxTokens: { type: 'integer', minimum: 1, maximum: 100_000, description: `text: the vocabulary's size, the most frequent tokens of the training rows (ties: the first seen), one input each. Default: ${DEFAULTS.maxTokens}.` },
    ngrams: { type: 'integer', minimum: 1, maximum: 3, description: 'text: also read runs of up to this many neighbouring words as tokens ("not good" with 2). Default: 1.' },
    lowercase: { type: 'boolean', description: 'text: compare words without case. Default: true.' },
    bag: { enum: [...BAG_MODES], description: 'text: what each vocabulary input holds — tfidf (the count weighed by how rare the token is in the training rows, each row scaled to length 1, as scikit-learn\'s TfidfVectorizer), count, or multiHot (1 if the token occurs). Default: tfidf.' },
    sublinearTf: { type: 'boolean', description: 'text, bag tfidf: use 1 + log(count) instead of the count. Default: false.' },
    encoding: {
      enum: ['bag', 'sequence'],
      description: 'text: bag (one input per vocabulary token, for dense layers; mixes with other columns) or sequence (the ids of the first maxLength tokens in order, for a model that starts with an embedding layer; one text per table; the other columns join its vector at the first dense layer). Default: bag.',
    },
    maxLength: { type: 'integer', minimum: 1, maximum: 4096, description: `text, encoding sequence: how many tokens of each row the model reads (shorter rows are padded, longer ones cut). Default: ${DEFAULTS.maxLength}.` },
  },
  fit(data, rows, { settings, declared }) {
    const { table, name, cells } = data;
    if (declared && rows.length > 0 && rows.every((row) => cells.kinds[row] === EMPTY || cells.kinds[row] === NUMBER_CELL) && rows.some((row) => cells.kinds[row] === NUMBER_CELL)) {
      throw new UserError(`${table.file}:1: data.columns says "${name}" is text, but its cells are all numbers (declare it number, or category for codes such as a ZIP code)`);
    }
    const tokenizing: TokenizerSettings = { lowercase: (settings.lowercase as boolean | undefined) ?? DEFAULTS.lowercase, ngrams: (settings.ngrams as number | undefined) ?? DEFAULTS.ngrams };
    const tokens = tokensOf(data, tokenizing);
    const counts = new Map<string, number>();
    const documents = new Map<string, number>();
    for (const row of rows) {
      for (const token of tokens[row]) counts.set(token, (counts.get(token) ?? 0) + 1);
      for (const token of new Set(tokens[row])) documents.set(token, (documents.get(token) ?? 0) + 1);
    }
    if (counts.size === 0) throw new UserError(`${table.file}:1: column "${name}" has no words in the training rows (every cell is empty or punctuation): leave it out (data.columns: { ${name}: ignore })`);
    // Most frequent first; Map keeps first appearance, and the sort is stable, so ties stay in that order.
    const vocabulary = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)!).slice(0, (settings.maxTokens as number | undefined) ?? DEFAULTS.maxTokens);
    if (settings.encoding === 'sequence') {
      return { name, type: 'text', vocabulary, encoding: 'sequence', maxLength: (settings.maxLength as number | undefined) ?? DEFAULTS.maxLength, ...tokenizing, tokenizer: TOKENIZER_VERSION };
    }
    const bag = (settings.bag as TextColumn['bag'] | undefined) ?? DEFAULTS.bag;
    const idf = bag === 'tfidf' ? { idf: vocabulary.map((token) => Math.log((1 + rows.length) / (1 + documents.get(token)!)) + 1) } : {};
    const sublinear = settings.sublinearTf === true ? { sublinearTf: true } : {};
    return { name, type: 'text', vocabulary, bag, ...idf, ...sublinear, ...tokenizing, tokenizer: TOKENIZER_VERSION };
  },
  width: (column) => (isSequenceText(column) ? column.maxLength : column.vocabulary.length),
  encode(column, data, rows, { inputs, width, offset }) {
    const tokens = tokensOf(data, column);
    const indexOf = vocabularyIndex(column);
    if (isSequenceText(column)) {
      // The first maxLength tokens, padded at the end (Keras' TextVectorization does both the same way).
      const idOf = (token: string) => {
        const k = indexOf.get(token);
        return k === undefined ? UNKNOWN_ID : FIRST_TOKEN_ID + k;
      };
      rows.forEach((row, r) => tokens[row].slice(0, column.maxLength).forEach((token, t) => (inputs[r * width + offset + t] = idOf(token))));
      return;
    }
    rows.forEach((row, r) => {
      const counts = new Map<number, number>();
      for (const token of tokens[row]) {
        const k = indexOf.get(token);
        if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const values = [...counts].map(([k, count]): [number, number] => [k, valueOf(column, k, count)]);
      // TF-IDF rows have length 1 (scikit-learn's norm='l2'): a long review weighs as much as a short one.
      const scale = column.bag === 'tfidf' ? 1 / Math.sqrt(values.reduce((sum, [, value]) => sum + value * value, 0)) : 1;
      for (const [k, value] of values) inputs[r * width + offset + k] = value * scale;
    });
  },
  read({ vocabulary, bag, idf, lowercase, ngrams, sublinearTf, tokenizer, encoding, maxLength }, name) {
    // A vocabulary made by another tokenizer would silently miss words: such a run is trained again.
    if (tokenizer !== TOKENIZER_VERSION) return undefined;
    if (!Array.isArray(vocabulary) || vocabulary.length === 0 || vocabulary.length > 100_000 || !vocabulary.every((token) => typeof token === 'string')) return undefined;
    if (typeof lowercase !== 'boolean' || !Number.isInteger(ngrams) || (ngrams as number) < 1 || (ngrams as number) > 3) return undefined;
    if (encoding === 'sequence') {
      if (!Number.isInteger(maxLength) || (maxLength as number) < 1 || (maxLength as number) > 4096) return undefined;
      return { name, type: 'text', vocabulary: vocabulary as string[], encoding, maxLength: maxLength as number, lowercase, ngrams: ngrams as number, tokenizer };
    }
    if (encoding !== undefined || !(BAG_MODES as readonly unknown[]).includes(bag)) return undefined;
    if (bag === 'tfidf' && !(Array.isArray(idf) && idf.length === vocabulary.length && idf.every((value) => Number.isFinite(value) && value > 0))) return undefined;
    if (sublinearTf !== undefined && typeof sublinearTf !== 'boolean') return undefined;
    return { name, type: 'text', vocabulary: vocabulary as string[], bag: bag as TextColumn['bag'], ...(bag === 'tfidf' ? { idf: idf as number[] } : {}), ...(sublinearTf ? { sublinearTf: true } : {}), lowercase, ngrams: ngrams as number, tokenizer };
  },
  describe(column, train, trainRows, test, testRows) {
    const known = vocabularyIndex(column);
    const testTokens = testRows.flatMap((row) => tokensOf(test, column)[row]);
    const coverage = testTokens.length === 0 ? '' : `, ${percent(testTokens.filter((token) => known.has(token)).length / testTokens.length)} of the test rows' tokens in it`;
    const lengths = trainRows.map((row) => tokensOf(train, column)[row].length).sort((a, b) => a - b);
    const at = (share: number) => lengths[Math.min(lengths.length - 1, Math.floor(share * lengths.length))];
    const grams = column.ngrams > 1 ? ` and runs of up to ${column.ngrams} words` : '';
    const cut = isSequenceText(column) ? lengths.filter((length) => length > column.maxLength).length : 0;
    const encoded = isSequenceText(column) ? `a sequence of up to ${column.maxLength} token ids` : column.bag;
    const cutNote = cut === 0 ? '' : `; ${percent(cut / lengths.length)} of the training rows are longer than maxLength ${column.maxLength} and are cut`;
    return `column ${column.name}: text, a vocabulary of ${column.vocabulary.length} tokens${grams} (${encoded})${coverage}; tokens per training row: median ${at(0.5)}, 90th percentile ${at(0.9)}, most ${lengths.at(-1)}${cutNote}`;
  },
});

/** What one vocabulary input holds for a token seen `count` times in the row. */
function valueOf(column: TextColumn, k: number, count: number): number {
  if (column.bag === 'multiHot') return 1;
  if (column.bag === 'count') return count;
  return (column.sublinearTf ? 1 + Math.log(count) : count) * column.idf![k];
}

const percent = (share: number) => `${(100 * share).toFixed(1)} %`;

const tokensByTable = new WeakMap<CsvTable, Map<string, readonly string[][]>>();

/** Every row's tokens of a column (missing cells none), made once per table, column and tokenizer. */
function tokensOf({ table, index, cells }: ColumnData, settings: TokenizerSettings): readonly string[][] {
  let byColumn = tokensByTable.get(table);
  if (!byColumn) tokensByTable.set(table, (byColumn = new Map()));
  const key = `${index}:${settings.lowercase}:${settings.ngrams}`;
  let tokens = byColumn.get(key);
  if (!tokens) byColumn.set(key, (tokens = Array.from({ length: table.rowCount }, (_, r) => (cells.kinds[r] === EMPTY ? [] : tokenize(table.cell(r, index), settings)))));
  return tokens;
}

const indexes = new WeakMap<readonly string[], ReadonlyMap<string, number>>();
function vocabularyIndex(column: TextColumn): ReadonlyMap<string, number> {
  let index = indexes.get(column.vocabulary);
  if (!index) indexes.set(column.vocabulary, (index = new Map(column.vocabulary.map((token, k) => [token, k]))));
  return index;
}
