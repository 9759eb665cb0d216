import { decodeHTML } from 'entities';

/** Bump when tokenize() changes what it returns: a run's vocabulary is only valid with the tokenizer that made it. */
export const TOKENIZER_VERSION = 1;

/** How text becomes tokens: a text column's settings, saved with its vocabulary so that predict tokenizes alike. */
export interface TokenizerSettings {
  /** Compare words without case (the default): "Great" and "great" are one token. */
  readonly lowercase: boolean;
  /** Also count runs of up to this many neighbouring words as tokens ("not good" for 2), as scikit-learn's ngram_range=(1, n). */
  readonly ngrams: number;
}

// A word: letters (with their combining marks) and digits of any script, an apostrophe inside it ("don't",
// "l'été"), a decimal point or comma inside a number ("3.5"); an emoji is a token of its own. Scikit-learn's
// token_pattern is a regular expression too; this one is Unicode-aware and keeps what it drops.
const WORD_OR_EMOJI = /\p{Extended_Pictographic}|(?:\p{N}+(?:[.,]\p{N}+)*|[\p{L}\p{M}]+)(?:'?[\p{L}\p{M}\p{N}]+)*/gu;
// Scripts written without spaces: their runs are cut into words by Unicode's rules (UAX #29, with ICU's
// dictionaries), as Node ships them. Intl.Segmenter is about 30 times slower than the expression above, so
// it reads only these runs.
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
// ICU's word segmenter takes ~10 ms to create: made by the first text that needs it, not by every run's imports.
let segmenter: Intl.Segmenter | undefined;
const wordSegmenter = () => (segmenter ??= new Intl.Segmenter('und', { granularity: 'word' }));
// Review and e-mail exports carry markup ("<br />", "<a href=…>"): a tag separates words and is not one.
const HTML_TAG = /<\/?[a-zA-Z][^<>]*>/g;
// A typographic apostrophe (don’t) is the same word as a typewriter one (don't).
const APOSTROPHES = /[\u2019\u02bc]/g;

/**
 * The tokens of one text: markup and entities removed (`&amp;` is `&`), compatibility forms unified (NFKC:
 * full-width letters, ligatures), words of any script, emoji kept as tokens of their own (they carry
 * sentiment), punctuation and spaces dropped; lowercased unless asked not to; then word n-grams.
 */
export function tokenize(text: string, settings: TokenizerSettings): string[] {
  const plain = decodeHTML(text.replace(HTML_TAG, ' ')).normalize('NFKC').replace(APOSTROPHES, "'");
  const cased = settings.lowercase ? plain.toLowerCase() : plain;
  const words: string[] = [];
  for (const [run] of cased.matchAll(WORD_OR_EMOJI)) {
    if (!UNSPACED_SCRIPT.test(run)) words.push(run);
    else for (const { segment, isWordLike } of wordSegmenter().segment(run)) if (isWordLike) words.push(segment);
  }
  return withNgrams(words, settings.ngrams);
}

/** The words followed by every run of 2 … n neighbouring words, joined by a space. */
function withNgrams(words: string[], n: number): string[] {
  if (n <= 1) return words;
  const tokens = [...words];
  for (let size = 2; size <= n; size++) {
    for (let start = 0; start + size <= words.length; start++) tokens.push(words.slice(start, start + size).join(' '));
  }
  return tokens;
}

/** How many words a cell has, roughly (runs of non-space): whether a column holds sentences rather than labels. */
export const wordCount = (cell: string) => cell.trim().split(/\s+/).filter(Boolean).length;
