import { describe, expect, it } from 'vitest';
import { tokenize } from './tokenize.js';

const words = (text: string, ngrams = 1, lowercase = true) => tokenize(text, { lowercase, ngrams });

describe('tokenize', () => {
  // The documented cases: what a text column's cells become.
  it.each([
    ['accents stay, composed or not (NFKC)', 'Café naïve e\u0301te\u0301', ['café', 'naïve', 'été']],
    ['apostrophes inside words, typographic or not', 'Don’t stop, it\'s l\'été', ["don't", 'stop', "it's", "l'été"]],
    ['markup removed, entities decoded', 'Great<br /><br />taste &amp; price&#39;s <a href="x">link</a>', ['great', 'taste', "price's", 'link']],
    ['emoji are tokens of their own', 'love it😍 👍👍', ['love', 'it', '😍', '👍', '👍']],
    ['numbers keep their decimal point', 'costs $4.99, 10/10, 3.5kg', ['costs', '4.99', '10', '10', '3.5kg']],
    ['Chinese is cut into words (ICU dictionary)', '我喜欢这个产品', ['我', '喜欢', '这个', '产品']],
    ['Japanese is cut into words', 'タピオカミルクティーが好き', ['タピオカ', 'ミルク', 'ティー', 'が', '好き']],
    ['other scripts are words by their letters and marks', 'प्रयोग مرحبا Привет', ['प्रयोग', 'مرحبا', 'привет']],
    ['full-width letters and ligatures unified', 'ＦＵＬＬ ﬁne', ['full', 'fine']],
    ['punctuation, e-mail and hyphens separate words', 'good.The end — rock-n-roll a@b.com', ['good', 'the', 'end', 'rock', 'n', 'roll', 'a', 'b', 'com']],
    ['nothing in an empty or punctuation-only text', ' ... !? ', []],
  ])('%s', (_, text, expected) => {
    expect(words(text)).toEqual(expected);
  });

  it('keeps case when asked', () => {
    expect(words('Great GREAT great', 1, false)).toEqual(['Great', 'GREAT', 'great']);
  });

  it('adds word n-grams after the words, as scikit-learn\'s ngram_range=(1, n)', () => {
    expect(words('not good at all', 2)).toEqual(['not', 'good', 'at', 'all', 'not good', 'good at', 'at all']);
    expect(words('not good at', 3)).toEqual(['not', 'good', 'at', 'not good', 'good at', 'not good at']);
    expect(words('one', 3)).toEqual(['one']);
  });
});
