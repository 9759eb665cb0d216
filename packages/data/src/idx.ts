import { readFileSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
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
  if (path.endsWith('.gz')) bytes = gunzipIdx(bytes, path);
  return parseIdx(bytes, path);
}

/**
 * Inflates a gzipped IDX file no further than its own header says it is long: a small file that would
 * inflate to gigabytes (a gzip bomb, or a corrupt header) is refused after its first kilobytes.
 */
function gunzipIdx(compressed: Uint8Array, path: string): Uint8Array {
  const invalid = (error: unknown) => new UserError(`${path}: not a valid gzip file: ${(error as Error).message}`);
  let head: Uint8Array;
  try {
    // The first kilobyte inflates to at most about a megabyte: enough for the header, never a bomb.
    head = gunzipSync(compressed.subarray(0, 1024), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (error) {
    throw invalid(error);
  }
  const rank = head[3];
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || rank < 1 || rank > 4 || head.length < 4 + 4 * rank) {
    // Not an IDX header: a broken gzip stream says so; else parseIdx says what is wrong with these bytes.
    try {
      gunzipSync(compressed, { maxOutputLength: 1 << 20 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw invalid(error);
    }
    return head;
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let data = 1;
  for (let axis = 0; axis < rank; axis++) data *= view.getUint32(4 + 4 * axis, false);
  return inflateAll(compressed, path, 4 + 4 * rank + data);
}

/** Inflates at most `limit` bytes (one more, so that parseIdx can report trailing bytes). */
function inflateAll(compressed: Uint8Array, path: string, limit: number): Uint8Array {
  try {
    return gunzipSync(compressed, { maxOutputLength: Math.min(limit + 1, MAX_INFLATED_BYTES) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserError(`${path}: inflates to more than the ${limit} bytes its IDX header declares (a corrupt or malicious file)`);
    }
    throw new UserError(`${path}: not a valid gzip file: ${(error as Error).message}`);
  }
}

/** No IDX file this tool reads is larger (MNIST's training images are 47 MB). */
const MAX_INFLATED_BYTES = 2 ** 31 - 1;

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
