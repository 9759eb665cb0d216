import { isUtf8 } from 'node:buffer';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { contentKey, loadThroughCache } from '../cache.js';
import type { ExampleSet } from '../dataset.js';
import { UserError } from '../errors.js';
import { shellQuoted } from '../printable.js';
import { describeFsError } from '../idx.js';
import { isImageFileName, readImageFile, resized, withChannels, type RawImage } from '../images/decode.js';
import { shuffled, stratifiedIndices } from './split.js';
import { datasetKind, IMAGE_PROPERTIES, PATH_PROPERTY, TEST_PROPERTIES } from './kind.js';

/** The largest decoded dataset an image folder may become (the images are kept in memory as bytes). */
export const MAX_DECODED_BYTES = 4 * 2 ** 30;
/** How many images are decoded at once (libvips works on its own threads). */
const DECODING_AT_ONCE = 8;
/** Bump when decoding changes, so that old cache entries are not used. */
const DECODER_VERSION = 1;

const sideSchema = { type: 'integer', minimum: 1, maximum: 4096 } as const;

export const imageFolder = datasetKind({
  schema: { const: 'imageFolder', description: 'your own images: `path` holds one sub-folder of PNG or JPEG files per class (the class names are the folder names)' },
  inkOnPaper: false,
  numericTargets: false,
  properties: {
    path: PATH_PROPERTY,
    ...TEST_PROPERTIES,
    ...IMAGE_PROPERTIES,
    imageSize: {
      description: 'imageFolder: [height, width], or one number for a square; images of another size are resized (bilinear). Default: the first image\'s size.',
      anyOf: [sideSchema, { type: 'array', items: sideSchema, minItems: 2, maxItems: 2 }],
    },
    channels: {
      enum: [1, 3],
      description: 'imageFolder: 1 (grey) or 3 (RGB). Default: 3 when the first image is in colour, else 1.',
    },
  },
  required: ['path'],
  load: async (spec, { baseDir, warn, onListed }) => {
    const trainFolder = listClassFolders(resolve(baseDir, spec.path!), 'data.path');
    const testFolder = spec.testPath === undefined ? undefined : listClassFolders(resolve(baseDir, spec.testPath), 'data.testPath');
    const classNames = trainFolder.classes.map((entry) => entry.name);
    for (const entry of testFolder?.classes ?? []) {
      if (!classNames.includes(entry.name)) {
        throw new UserError(`${entry.folder}: the test set has a class "${entry.name}" that ${trainFolder.root} does not have (its classes: ${classNames.join(', ')})`);
      }
    }
    const skipped = trainFolder.skipped + (testFolder?.skipped ?? 0);
    if (skipped > 0) warn(`${skipped} file${skipped === 1 ? '' : 's'} in the image folders ${skipped === 1 ? 'is' : 'are'} not PNG or JPEG and ${skipped === 1 ? 'was' : 'were'} skipped`);
    const repeated = trainFolder.repeated + (testFolder?.repeated ?? 0);
    if (repeated > 0) warn(`${repeated} link${repeated === 1 ? ' leads' : 's lead'} to a folder or image already read (a link loop, or a second path to the same files): each folder and image was read once`);

    // The training images are at most the listed ones (a test split takes some): said before any is decoded.
    onListed?.(trainFolder.files.length);
    const first = await readImageFile(trainFolder.files[0].file);
    const [height, width] = spec.imageSize === undefined ? [first.height, first.width] : typeof spec.imageSize === 'number' ? [spec.imageSize, spec.imageSize] : spec.imageSize;
    const channels = spec.channels ?? (first.channels >= 3 ? 3 : 1);
    const inputShape = [height, width, channels];
    const files = [...trainFolder.files, ...(testFolder?.files ?? [])];
    const decodedBytes = files.length * height * width * channels;
    if (decodedBytes > MAX_DECODED_BYTES) {
      throw new UserError(`data.imageSize: ${files.length} images of ${height}×${width}×${channels} take ${(decodedBytes / 2 ** 30).toFixed(1)} GiB decoded, more than the ${MAX_DECODED_BYTES / 2 ** 30} GiB limit (use a smaller imageSize or channels: 1)`);
    }

    const key = contentKey({
      version: DECODER_VERSION,
      inputShape,
      testSplit: testFolder ? null : spec.testSplit ?? 0.2,
      folders: [trainFolder, testFolder].map((folder) => folder && folder.files.map(({ file, size, modified, label }) => [relative(folder.root, file), size, modified, label])),
    });
    return loadThroughCache(key, warn, async () => {
      // Where each file goes is known from the listing (its class), so every image is decoded straight into
      // its place in the training or test set: no second copy of the decoded images is ever made.
      const trainLabels = trainFolder.files.map((entry) => entry.label);
      const order = testFolder
        ? { train: shuffled([...trainLabels.keys()]), test: shuffled([...testFolder.files.keys()]) }
        : stratifiedIndices(trainLabels, spec.testSplit ?? 0.2);
      if (order.test.length === 0) throw new UserError(`${trainFolder.root}: every class has one image, so none can be held out for testing (add images or give data.testPath)`);
      let resizedCount = 0;
      const decode = async (folder: ClassFolders, indices: readonly number[]): Promise<ExampleSet> => {
        const size = height * width * channels;
        const inputs = new Uint8Array(indices.length * size);
        const labels = Uint8Array.from(indices, (index) => classNames.indexOf(folder.classes[folder.files[index].label].name));
        await forEachAtOnce(indices, DECODING_AT_ONCE, async (index, position) => {
          const entry = folder.files[index];
          const image = withChannels(entry === trainFolder.files[0] ? first : await readImageFile(entry.file), channels);
          if (image.height !== height || image.width !== width) resizedCount++;
          inputs.set((await resizedOrFailed(image, height, width, entry.file)).data, position * size);
        });
        return { inputs, labels, count: indices.length };
      };
      const train = await decode(trainFolder, order.train);
      const test = await decode(testFolder ?? trainFolder, order.test);

      const notes = [`${files.length} images as ${height}×${width}×${channels}${resizedCount > 0 ? `, ${resizedCount} of them resized` : ''}`];
      return { name: 'imageFolder', train, test, inputShape, classNames, notes };
    });
  },
});

interface ImageFile {
  readonly file: string;
  readonly size: number;
  readonly modified: number;
  /** Index into the folder's own classes. */
  readonly label: number;
}

interface ClassFolders {
  readonly root: string;
  readonly classes: Array<{ name: string; folder: string }>;
  readonly files: ImageFile[];
  /** Files that are neither hidden nor images. */
  readonly skipped: number;
  /** Folders and images reached a second time through links (loops included), read once. */
  readonly repeated: number;
}

/** A folder entry by its name as text. */
interface NamedEntry {
  readonly name: string;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/**
 * A folder's entries, each name checked to be UTF-8: a name in another encoding (latin1 from an older
 * system: "caf\xe9") would be read back as another name that does not exist, so it is an error naming it
 * and the fix. Hidden entries (".…", macOS' "._…" copies) are left out before the check, as everywhere.
 */
function namedEntries(dir: string): NamedEntry[] {
  return readdirSync(dir, { withFileTypes: true, encoding: 'buffer' }).flatMap((entry) => {
    const bytes = entry.name;
    if (bytes[0] === 0x2e) return [];
    if (!isUtf8(bytes)) {
      const shown = [...bytes].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
      throw new UserError(`${dir}: the name "${shown}" is not UTF-8 text (written by an older system, often in latin1): rename it, e.g. with convmv -f latin1 -t utf-8 -r --notest ${shellQuoted(dir)}`);
    }
    return [{ name: bytes.toString('utf8'), isDirectory: () => entry.isDirectory(), isSymbolicLink: () => entry.isSymbolicLink() }];
  });
}

const isHidden = (name: string) => name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini' || name === '__MACOSX';

/** The class sub-folders of `root` (sorted by name) and the image files in each, sub-folders included. */
function listClassFolders(root: string, key: string): ClassFolders {
  const { classes, skipped: notFolders } = classFoldersOf(root, key);
  // Every folder and image is read once by its real path: a link loop (`l -> .`) ends at once, and a second
  // path to the same files adds no copies (which would land on both sides of a split).
  const visits = new RealPathVisits();
  // Class folders first: a link from one class into another's folder must not take its images.
  const classReals = classes.map(({ folder }) => visits.first(folder));
  const counted = { skipped: notFolders };
  const files = classes.flatMap(({ folder }, label) => {
    const found = classReals[label] ? imagesUnder(folder, classReals[label], label, visits, counted) : [];
    if (found.length === 0) throw new UserError(`${folder}: the class folder holds no PNG or JPEG image (remove it or add images)`);
    return found;
  });
  return { root, classes, files, skipped: counted.skipped, repeated: visits.repeated };
}

/** The visible sub-folders of `root`, sorted by name, with how many other entries it holds; fewer than 2 (for data.path) or more than 256 are refused. */
function classFoldersOf(root: string, key: string): { classes: ClassFolders['classes']; skipped: number } {
  let entries;
  try {
    entries = namedEntries(root);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${key}: cannot read the image folder ${root}: ${describeFsError(error)} (it should hold one sub-folder of images per class)`);
  }
  const visible = entries.filter((entry) => !isHidden(entry.name));
  const classes = visible.filter((entry) => isFolder(root, entry)).map((entry) => ({ name: entry.name, folder: join(root, entry.name) }));
  classes.sort((a, b) => byName(a.name, b.name));
  if (classes.length < 2 && key === 'data.path') {
    throw new UserError(`${key}: ${root} has ${classes.length === 0 ? 'no class sub-folders' : `one class sub-folder (${classes[0].name})`}; a classifier needs at least 2 (one sub-folder of images per class)`);
  }
  if (classes.length > 256) throw new UserError(`${key}: ${root} has ${classes.length} class sub-folders, more than the 256 classes specml trains`);
  return { classes, skipped: visible.length - classes.length };
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The real paths of the folders and images met so far, and how many were met again (by a link). */
class RealPathVisits {
  private readonly seen = new Set<string>();
  repeated = 0;

  /** The real path of a folder or image met for the first time, else undefined (a repeat, counted, or a dangling link). */
  first(path: string, known?: string): string | undefined {
    let real = known;
    try {
      real ??= realpathSync.native(path);
    } catch {
      return undefined;
    }
    if (this.seen.has(real)) {
      this.repeated++;
      return undefined;
    }
    this.seen.add(real);
    return real;
  }
}

/** The images under a class folder (whose real path is `realDir`), 8 folders deep at most, in name order; other files are counted as skipped. */
function imagesUnder(dir: string, realDir: string, label: number, visits: RealPathVisits, counted: { skipped: number }, depth = 0, found: ImageFile[] = []): ImageFile[] {
  for (const entry of namedEntries(dir).sort((a, b) => byName(a.name, b.name))) {
    if (isHidden(entry.name)) continue;
    const path = join(dir, entry.name);
    if (isFolder(dir, entry)) {
      const real = depth < 8 ? visits.first(path) : undefined;
      if (real) imagesUnder(path, real, label, visits, counted, depth + 1, found);
    } else if (isImageFileName(entry.name)) {
      // A plain file's real path is its real folder's and its name (no system call for each of 70,000 images).
      if (!visits.first(path, entry.isSymbolicLink() ? undefined : join(realDir, entry.name))) continue;
      const stat = statSync(path);
      found.push({ file: path, size: stat.size, modified: stat.mtimeMs, label });
    } else counted.skipped++;
  }
  return found;
}

function isFolder(dir: string, entry: { name: string; isDirectory(): boolean; isSymbolicLink(): boolean }): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

async function resizedOrFailed(image: RawImage, height: number, width: number, file: string): Promise<RawImage> {
  try {
    return await resized(image, height, width);
  } catch (error) {
    throw new UserError(`${file}: cannot resize the image to ${height}×${width}: ${(error as Error).message}`);
  }
}

/** Runs `work` on every item, at most `limit` at once; the first failure stops new work and is thrown. */
async function forEachAtOnce<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
