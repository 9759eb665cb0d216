import { promisify } from 'node:util';
import { crc32, deflate } from 'node:zlib';

// resvg's and Skia's PNG encoders compress hard (17–70 ms for a chart), and pngjs packs pixels in
// JavaScript (as slow); a chart is mostly flat colour, which Node's zlib at a low level shrinks in a third of
// that time to about a fifth more bytes. A PNG is three chunks around those bytes: header, data, end.

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const RGBA = 6;
/** zlib's level: 3 of 9, where a chart's pictures stop getting smaller faster than they get slower. */
const LEVEL = 3;
/** zlib's deflate on Node's thread pool: the chart thread draws the next chart meanwhile. */
const deflated = promisify(deflate);

/** `pixels` (RGBA, 8 bits each, row after row) as a PNG file's bytes. */
export async function encodePng(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  const rowBytes = width * 4;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || pixels.length !== rowBytes * height) {
    throw new Error(`${pixels.length} bytes are not ${width} × ${height} RGBA pixels`);
  }
  // Each row starts with its filter type, 0: the row as it is.
  const rows = Buffer.alloc((rowBytes + 1) * height);
  for (let row = 0; row < height; row++) rows.set(pixels.subarray(row * rowBytes, (row + 1) * rowBytes), row * (rowBytes + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, RGBA, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, adaptive filtering, not interlaced
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', await deflated(rows, { level: LEVEL })), chunk('IEND', Buffer.alloc(0))]);
}

/** A PNG chunk: its length, type, data and the CRC-32 of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const framed = Buffer.alloc(4 + typeAndData.length + 4);
  framed.writeUInt32BE(data.length, 0);
  typeAndData.copy(framed, 4);
  framed.writeUInt32BE(crc32(typeAndData), 4 + typeAndData.length);
  return framed;
}
