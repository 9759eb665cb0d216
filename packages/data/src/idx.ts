import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from './errors.js';

/** An IDX file of unsigned bytes: MNIST's format (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"). */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parses IDX bytes; `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4) {
    throw new UserError(`${source}: not an IDX file: it has ${bytes.length} bytes, fewer than the 4-byte header (is the file truncated?)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(
      `${source}: not an IDX file: the magic number must start with two zero bytes, got 0x${hex(bytes[0])}${hex(bytes[1])} (gzipped files must end in .gz)`,
    );
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    throw new UserError(`${source}: unsupported IDX element type 0x${hex(bytes[2])}: only unsigned bytes (0x08) are supported`);
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) {
    throw new UserError(`${source}: IDX header says ${rank} dimensions: expected 1 to 4`);
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new UserError(`${source}: the IDX header needs ${headerLength} bytes, the file has ${bytes.length} (is the file truncated?)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let axis = 0; axis < rank; axis++) dims.push(view.getUint32(4 + 4 * axis, false));
  const expected = dims.reduce((product, size) => product * size, 1);
  const actual = bytes.length - headerLength;
  if (actual !== expected) {
    throw new UserError(
      `${source}: the header declares ${dims.join('×')} = ${expected} bytes of data, the file holds ${actual} (${actual < expected ? 'truncated' : 'trailing bytes'})`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Reads an IDX file, raw or gzipped (by its `.gz` ending). */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UserError(`${path}: cannot read the dataset file: ${describeFsError(error)}`);
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new UserError(`${path}: not a valid gzip file: ${(error as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}

/** Serialises bytes as an IDX file: the inverse of parseIdx, used to write fixtures and exported data. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = UNSIGNED_BYTE;
  header[3] = dims.length;
  dims.forEach((size, axis) => view.setUint32(4 + 4 * axis, size, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  return (error as Error).message;
}
