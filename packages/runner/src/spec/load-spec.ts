import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { describeFsError } from '@specml/data';
import { PRESET_KEYS, PRESETS, type PresetName } from '@specml/model-zoo';
import { experimentSpecSchema, type ExperimentSpec } from './spec-schema.js';
import { specValidator } from './spec-validator.js';
import { describeSchemaErrors, describeValue } from './spec-problems.js';
import { SpecError, type SpecLocation, type SpecProblem } from './user-errors.js';

export type KeyPath = readonly (string | number)[];

/** A validated spec with defaults filled and overrides applied, and the way back to where each key was written. */
export interface LoadedSpec {
  readonly spec: ExperimentSpec;
  readonly file: string;
  /** Where a key path was written (its value, or with `atKey` the key itself); falls back to the nearest parent. */
  locate(path: KeyPath, atKey?: boolean): SpecLocation;
}

const MAX_SPEC_BYTES = 1 << 20;
const MAX_ALIASES = 100;
const MAX_DEPTH = 32;

const validateSpec = await specValidator();

/** Reads, parses, overrides and validates a spec; every problem found is reported at once as a SpecError. */
export function loadSpec(file: string, overrides: readonly string[] = []): LoadedSpec {
  const source = { file };
  let text: string;
  try {
    const bytes = readBounded(file, source);
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (text.includes('\u0000')) throw new TypeError('NUL byte');
  } catch (error) {
    if (error instanceof SpecError) throw error;
    const reason = error instanceof TypeError ? 'is not a UTF-8 text file (is it binary?)' : `cannot be read: ${describeFsError(error)}`;
    fail(source, [], `the spec file ${reason}`, 'a spec is a YAML text file, e.g. experiments/baseline.yaml');
  }
  return loadSpecText(text, file, overrides);
}

/** The same for a spec's text (a sweep's trial arrives as text); `file` names it in messages. */
export function loadSpecText(text: string, file: string, overrides: readonly string[] = []): LoadedSpec {
  const source = { file };
  if (text.length > MAX_SPEC_BYTES) fail(source, [], `the spec is ${text.length} characters; a spec is at most ${MAX_SPEC_BYTES}`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number): SpecLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  checkSyntax(doc, at, source);
  // A preset fills in what the file leaves out before overrides apply, so `--set model.layers.0.filters=8`
  // edits the preset's layers; a preset set by an override itself is expanded after them.
  expandPreset(doc);
  const overridden = applyOverrides(doc, overrides);
  expandPreset(doc);
  const data = plainData(doc, source);
  const locate = (path: KeyPath, atKey = false): SpecLocation => {
    // A value set on the command line, or a mapping an override created, is the override's doing.
    const written = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node | undefined;
    const override =
      overridden.find((entry) => startsWith(path, entry.path)) ??
      (written && !written.range ? overridden.find((entry) => startsWith(entry.path, path)) : undefined);
    if (override) return { override: override.text };
    const node = nodeAt(doc, path, atKey);
    return node?.range ? at(node.range[0]) : source;
  };
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && !('name' in data)) {
    (data as Record<string, unknown>).name = defaultName(file);
  }
  if (!validateSpec(data)) {
    const problems = describeSchemaErrors(validateSpec.errors ?? [], data).map(({ path, atKey, message, hint }) => ({ location: locate(path, atKey), path, message, hint }));
    throw new SpecError(problems.sort((a, b) => linePosition(a.location) - linePosition(b.location)));
  }
  const spec = data as ExperimentSpec;
  resolveDataPaths(spec.data, file);
  return { spec, file, locate };
}

/** YAML's syntax problems (and keys that are lists or mappings), each at its place, all at once. */
function checkSyntax(doc: ReturnType<typeof parseDocument>, at: (offset: number) => SpecLocation, source: SpecLocation): void {
  const syntaxProblems = [...doc.errors, ...doc.warnings].map((problem) => ({
    location: at(problem.pos[0]),
    path: [],
    message: yamlMessage(problem.code, problem.message),
    hint: yamlHint(problem.code),
  }));
  if (syntaxProblems.length > 0) throw new SpecError(syntaxProblems);
  const complexKeys: SpecProblem[] = [];
  visit(doc, {
    Pair: (_, pair) => {
      if (!isScalar(pair.key) && pair.key !== null) {
        const range = (pair.key as Node).range;
        complexKeys.push({ location: range ? at(range[0]) : source, path: [], message: 'a key must be a plain name, not a list or mapping', hint: 'write key: value' });
      }
    },
  });
  if (complexKeys.length > 0) throw new SpecError(complexKeys);
}

/** The document as plain data: aliases expanded within bounds, not empty, not too deep. */
function plainData(doc: ReturnType<typeof parseDocument>, source: SpecLocation): unknown {
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    fail(source, [], `cannot be expanded: ${(error as Error).message}`, `use at most ${MAX_ALIASES} alias references`);
  }
  if (data === null || data === undefined) {
    fail(source, [], 'the spec is empty', 'start from experiments/baseline.yaml; at least `model: { layers: [...] }` is needed');
  }
  if (depthOf(data) > MAX_DEPTH) fail(source, [], `nesting is deeper than ${MAX_DEPTH} levels`, 'a spec is a few levels deep');
  return data;
}

/**
 * The data files a spec names resolve from the spec file's folder, never from where the command was started,
 * and are made absolute here, the one place every caller (a run, a sweep's trials, the queue's shipper, resume,
 * validate) gets its spec from: so that a run folder's spec.yaml finds the data from anywhere, and a same-named
 * file in the current folder is never read instead.
 */
function resolveDataPaths(data: ExperimentSpec['data'], specFile: string): void {
  const dataFields = data as { path?: string; testPath?: string };
  if (dataFields.path !== undefined) dataFields.path = resolve(dirname(specFile), dataFields.path);
  if (dataFields.testPath !== undefined) dataFields.testPath = resolve(dirname(specFile), dataFields.testPath);
}

/**
 * A spec file's bytes, refusing before reading what cannot be a spec: a device or pipe (/dev/zero never
 * ends) and a file over the size limit, measured as it is read since some files report no size.
 */
function readBounded(file: string, source: SpecLocation): Uint8Array {
  const stats = statSync(file);
  if (!stats.isFile()) fail(source, [], 'the spec is not a regular file (a device, pipe or folder)', 'a spec is a YAML text file, e.g. experiments/baseline.yaml');
  if (stats.size > MAX_SPEC_BYTES) fail(source, [], `the file is ${stats.size} bytes; a spec is at most ${MAX_SPEC_BYTES}`);
  const buffer = Buffer.alloc(MAX_SPEC_BYTES + 1);
  const descriptor = openSync(file, 'r');
  let length = 0;
  try {
    for (let read = -1; read !== 0 && length < buffer.length; length += read) read = readSync(descriptor, buffer, length, buffer.length - length, null);
  } finally {
    closeSync(descriptor);
  }
  if (length > MAX_SPEC_BYTES) fail(source, [], `the file is over ${MAX_SPEC_BYTES} bytes; a spec is at most ${MAX_SPEC_BYTES}`);
  return buffer.subarray(0, length);
}

/** The spec file's name without its extension, made into a valid `name`. */
function defaultName(file: string): string {
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return stem.slice(0, 100) || 'experiment';
}

interface AppliedOverride {
  readonly path: KeyPath;
  readonly text: string;
}

/** Applies `key.path=value` overrides to the document, value parsed as YAML (so 0.01 is a number). */
export function applyOverrides(doc: Document, overrides: readonly string[]): AppliedOverride[] {
  const problems: SpecProblem[] = [];
  const applied: AppliedOverride[] = [];
  for (const text of overrides) {
    const parsed = parseOverride(text);
    if ('problem' in parsed) {
      problems.push({ location: { override: text }, path: [], message: parsed.problem, hint: 'write --set key.path=value, e.g. --set optimizer.learningRate=0.01' });
      continue;
    }
    const badIndex = indexProblem(doc, parsed.path);
    if (badIndex) {
      problems.push({ location: { override: text }, path: badIndex.path, message: badIndex.message, hint: badIndex.hint });
      continue;
    }
    const blocker = scalarOnPath(doc, parsed.path);
    if (blocker) {
      problems.push({
        location: { override: text },
        path: blocker,
        message: `holds ${describeValue((doc.getIn(blocker, true) as { value?: unknown })?.value)}, so it has no key "${parsed.path[blocker.length]}"`,
      });
      continue;
    }
    if (doc.contents === null) doc.contents = doc.createNode({}) as never;
    seedDefaults(doc, parsed.path);
    doc.setIn(parsed.path, doc.createNode(parsed.value));
    applied.push({ path: parsed.path, text });
  }
  if (problems.length > 0) throw new SpecError(problems);
  return applied;
}

export function parseOverride(text: string): { path: (string | number)[]; value: unknown } | { problem: string } {
  const equals = text.indexOf('=');
  if (equals <= 0) return { problem: 'expected key.path=value' };
  const keys = text.slice(0, equals).trim().split('.');
  if (keys.some((key) => key === '')) return { problem: `"${text.slice(0, equals)}" is not a key path` };
  const valueDoc = parseDocument(text.slice(equals + 1), { strict: true, uniqueKeys: true, prettyErrors: false });
  const [problem] = [...valueDoc.errors, ...valueDoc.warnings];
  if (problem) return { problem: `the value is not valid YAML: ${yamlMessage(problem.code, problem.message)}` };
  let value: unknown;
  try {
    value = valueDoc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return { problem: `the value cannot be expanded: ${(error as Error).message}` };
  }
  return { path: keys.map((key) => (/^\d+$/.test(key) ? Number(key) : key)), value: value ?? null };
}

/**
 * An override into a mapping the spec leaves out starts from that mapping's default: with no `optimizer:`
 * block, `optimizer.learningRate=0.01` adjusts the default Adam instead of creating a nameless optimizer.
 */
function seedDefaults(doc: Document, path: KeyPath): void {
  let schema: Record<string, any> | undefined = experimentSpecSchema;
  for (let depth = 0; depth < path.length - 1; depth++) {
    schema = schema?.properties?.[path[depth]];
    if (!schema) return;
    const prefix = path.slice(0, depth + 1);
    if (schema.default !== null && typeof schema.default === 'object' && !doc.hasIn(prefix)) {
      doc.setIn(prefix, doc.createNode(structuredClone(schema.default)));
    }
  }
}

/** `model: { preset: lenet5 }` → the preset's layers and initializer, where the spec does not give its own. */
function expandPreset(doc: Document): void {
  const name = doc.getIn(['model', 'preset']);
  if (typeof name !== 'string' || !Object.hasOwn(PRESETS, name) || !isMap(doc.getIn(['model'], true))) return;
  const preset = PRESETS[name as PresetName];
  for (const key of PRESET_KEYS) {
    if (!doc.hasIn(['model', key])) doc.setIn(['model', key], doc.createNode(structuredClone(preset[key])));
  }
}

/**
 * A list index an override may not use: one past the end appends, anything further (model.layers.100000)
 * would make the list that long, and a list takes no key that is not an index (model.layers.-1).
 */
function indexProblem(doc: Document, path: KeyPath): { path: KeyPath; message: string; hint: string } | undefined {
  for (let depth = 0; depth < path.length; depth++) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    const key = path[depth];
    const listPath = path.slice(0, depth);
    if (isSeq(node)) {
      const length = node.items.length;
      if (typeof key !== 'number') {
        return { path: listPath, message: `is a list of ${length}, so "${key}" is no index into it`, hint: `use an index from 0 to ${length}` };
      }
      if (key > length) {
        return { path: listPath, message: `is a list of ${length}; index ${key} is past its end`, hint: `use an index from 0 to ${length}; ${length} appends a layer` };
      }
    } else if (node === undefined || node === null || (isScalar(node) && node.value === null)) {
      // A list the override creates starts empty: only index 0 is next.
      if (typeof key === 'number' && key > 0) {
        return { path: listPath, message: `does not exist yet, so index ${key} would leave a gap`, hint: 'start with index 0' };
      }
      return undefined;
    }
  }
  return undefined;
}

/** The first prefix of `path` that holds a scalar, where setIn could not descend. */
function scalarOnPath(doc: Document, path: KeyPath): KeyPath | undefined {
  for (let length = 1; length < path.length; length++) {
    const node = doc.getIn(path.slice(0, length), true);
    if (isScalar(node) && node.value !== null) return path.slice(0, length);
  }
  return undefined;
}

function nodeAt(doc: Document, path: KeyPath, atKey: boolean): Node | undefined {
  for (let length = path.length; length >= 0; length--) {
    const prefix = path.slice(0, length);
    if (atKey && length === path.length && length > 0) {
      const parent = length === 1 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === prefix.at(-1));
        if (pair && (pair.key as Node).range) return pair.key as Node;
      }
      continue;
    }
    const node = length === 0 ? doc.contents : doc.getIn(prefix, true);
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) return node;
  }
  return undefined;
}

/** Sort key: problems in the file first, in reading order, then those of overrides. */
function linePosition(location: SpecLocation): number {
  return 'line' in location ? location.line * 10_000 + location.column : 'override' in location ? 1e12 : 0;
}

function startsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((key, index) => String(path[index]) === String(key));
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return depth;
  let deepest = depth;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, depth + 1));
  return deepest;
}

function fail(location: SpecLocation, path: KeyPath, message: string, hint?: string): never {
  throw new SpecError([{ location, path, message, hint }]);
}

function yamlMessage(code: string, message: string): string {
  const text = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return 'a key appears twice in the same mapping';
  if (code === 'TAG_RESOLVE_FAILED') return `${text.replace('Unresolved tag: tag:yaml.org,2002:', 'unknown tag !!')}`;
  return `invalid YAML: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

function yamlHint(code: string): string | undefined {
  if (code === 'DUPLICATE_KEY') return 'remove one of them';
  if (code === 'TAG_RESOLVE_FAILED') return 'specs are plain YAML: remove the tag';
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR' || code === 'UNEXPECTED_TOKEN') return 'check the indentation and the ":" after each key';
  if (code === 'TAB_AS_INDENT') return 'indent with spaces, not tabs';
  return undefined;
}
