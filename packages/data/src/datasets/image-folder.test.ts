import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../load-dataset.js';
import { writeImages, writeTwoClassImageFolder } from '../test-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'specml-folder-'));
const cache = join(root, 'cache');
const warnings: string[] = [];
const load = (spec: Record<string, unknown>) => loadDataset({ dataset: 'imageFolder', ...spec } as never, { baseDir: root, warn: (message) => warnings.push(message) });

beforeAll(async () => {
  process.env.SPECML_CACHE_DIR = cache;
  await writeTwoClassImageFolder(root, 'train', 10);
  await writeTwoClassImageFolder(root, 'test', 4);
  // What photo folders hold besides images.
  writeFileSync(join(root, 'train/left/.DS_Store'), 'junk');
  writeFileSync(join(root, 'train/Thumbs.db'), 'junk');
  mkdirSync(join(root, 'train/.git'));
  writeFileSync(join(root, 'train/right/notes.txt'), 'not an image');
});
afterAll(() => {
  delete process.env.SPECML_CACHE_DIR;
  rmSync(root, { recursive: true, force: true });
});

describe('dataset: imageFolder', () => {
  it('reads classes from sub-folders, colour from the first image, and resizes the others to its size', async () => {
    warnings.length = 0;
    const data = await load({ path: 'train', testPath: 'test' });
    expect(data.classNames).toEqual(['left', 'right']);
    expect(data.inputShape).toEqual([12, 12, 3]);
    expect([data.train.count, data.test.count]).toEqual([20, 8]);
    expect(data.notes).toEqual(['28 images as 12×12×3, 8 of them resized']);
    expect(warnings).toEqual(['1 file in the image folders is not PNG or JPEG and was skipped']);
    // Every example is a 12×12×3 image whose bright square sits where its class says.
    const size = 12 * 12 * 3;
    for (let i = 0; i < data.train.count; i++) {
      const pixel = (x: number, y: number) => data.train.inputs[i * size + (y * 12 + x) * 3];
      const [left, right] = [pixel(2, 2), pixel(9, 2)];
      expect(data.classNames[data.train.labels[i]]).toBe(left > right ? 'left' : 'right');
    }
  });

  it('takes imageSize and channels from the spec', async () => {
    const data = await load({ path: 'train', testPath: 'test', imageSize: [6, 8], channels: 1 });
    expect(data.inputShape).toEqual([6, 8, 1]);
    expect(data.train.inputs.length).toBe(20 * 6 * 8);
    expect((await load({ path: 'train', testPath: 'test', imageSize: 5 })).inputShape).toEqual([5, 5, 3]);
  });

  it('holds out a stratified, seeded test split without testPath, the same every time', async () => {
    const first = await load({ path: 'train', testSplit: 0.3 });
    expect([first.train.count, first.test.count]).toEqual([14, 6]);
    expect(Array.from(first.test.labels).filter((label) => label === 0)).toHaveLength(3);
    rmSync(cache, { recursive: true, force: true });
    const again = await load({ path: 'train', testSplit: 0.3 });
    expect(again.test.inputs).toEqual(first.test.inputs);
    expect(again.train.labels).toEqual(first.train.labels);
    // Classes are interleaved, so that a validation split (the last examples) holds both.
    const withValidation = await load({ path: 'train', testSplit: 0.3, validationSplit: 0.3 });
    expect(new Set(withValidation.validation!.labels).size).toBe(2);
  });

  it('keeps the decoded images in a cache keyed by the files, which a changed file invalidates', async () => {
    rmSync(cache, { recursive: true, force: true });
    const first = await load({ path: 'train', testPath: 'test' });
    expect(readdirSync(join(cache, 'datasets'))).toHaveLength(1);
    const cached = await load({ path: 'train', testPath: 'test' });
    expect(cached.train.inputs).toEqual(first.train.inputs);
    expect(readdirSync(join(cache, 'datasets'))).toHaveLength(1);
    await writeImages(root, [{ file: 'train/left/000.png', width: 12, height: 12, colour: [200, 0, 0], corner: 'left' }]);
    utimesSync(join(root, 'train/left/000.png'), new Date(), new Date(Date.now() + 5000));
    const changed = await load({ path: 'train', testPath: 'test' });
    expect(readdirSync(join(cache, 'datasets'))).toHaveLength(2);
    expect(changed.train.inputs).not.toEqual(first.train.inputs);
  });

  it('refuses, naming the file or folder: a missing folder, one class, an empty class, a test class training lacks, a corrupt image', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'specml-bad-folder-'));
    await expect(load({ path: join(bad, 'nope') })).rejects.toThrow(`data.path: cannot read the image folder ${join(bad, 'nope')}: no such file (it should hold one sub-folder of images per class)`);
    await writeImages(bad, [{ file: 'one/a/1.png', width: 4, height: 4, colour: 9, corner: 'left' }]);
    await expect(load({ path: join(bad, 'one') })).rejects.toThrow(`data.path: ${join(bad, 'one')} has one class sub-folder (a); a classifier needs at least 2 (one sub-folder of images per class)`);
    await writeImages(bad, [{ file: 'two/a/1.png', width: 4, height: 4, colour: 9, corner: 'left' }]);
    mkdirSync(join(bad, 'two/b'));
    writeFileSync(join(bad, 'two/b/readme.md'), 'x');
    await expect(load({ path: join(bad, 'two') })).rejects.toThrow(`${join(bad, 'two/b')}: the class folder holds no PNG or JPEG image (remove it or add images)`);
    await expect(load({ path: 'train', testPath: join(bad, 'one') })).rejects.toThrow(`${join(bad, 'one/a')}: the test set has a class "a" that ${join(root, 'train')} does not have (its classes: left, right)`);
    await writeImages(bad, [{ file: 'three/a/1.png', width: 4, height: 4, colour: 9, corner: 'left' }, { file: 'three/b/1.png', width: 4, height: 4, colour: 9, corner: 'left' }]);
    writeFileSync(join(bad, 'three/b/2.jpg'), 'broken');
    await expect(load({ path: join(bad, 'three') })).rejects.toThrow(new RegExp(`^${join(bad, 'three/b/2.jpg')}: not a readable PNG or JPEG image`));
    // A pipe named like an image is refused at once, not waited on.
    rmSync(join(bad, 'three/b/2.jpg'));
    execFileSync('mkfifo', [join(bad, 'three/b/3.png')]);
    await expect(load({ path: join(bad, 'three') })).rejects.toThrow(`${join(bad, 'three/b/3.png')}: cannot read the image: is not a regular file (a pipe, device or folder)`);
    // A name that is not UTF-8 (latin1 "café", from an older system) is named with its bytes and the fix, in a class or file name.
    await writeImages(bad, [{ file: 'four/a/1.png', width: 4, height: 4, colour: 9, corner: 'left' }, { file: 'four/b/1.png', width: 4, height: 4, colour: 9, corner: 'left' }]);
    copyFileSync(join(bad, 'four/a/1.png'), Buffer.from(`${join(bad, 'four/b')}/caf\xe9.png`, 'latin1'));
    await expect(load({ path: join(bad, 'four') })).rejects.toThrow(`${join(bad, 'four/b')}: the name "caf\\xe9.png" is not UTF-8 text (written by an older system, often in latin1): rename it, e.g. with convmv -f latin1 -t utf-8 -r --notest ${join(bad, 'four/b')}`);
    mkdirSync(Buffer.from(`${join(bad, 'four')}/caf\xe9`, 'latin1'));
    await expect(load({ path: join(bad, 'four') })).rejects.toThrow(`${join(bad, 'four')}: the name "caf\\xe9" is not UTF-8 text`);
    rmSync(bad, { recursive: true, force: true });
  });

  it('follows each folder link once: six links to "." in a class folder end at once, and a second path to the same images adds no copies', async () => {
    const looped = join(root, 'looped');
    cpSync(join(root, 'train'), looped, { recursive: true });
    for (let n = 1; n <= 6; n++) symlinkSync('.', join(looped, 'left', `l${n}`));
    symlinkSync(join(looped, 'right'), join(looped, 'left', 'also-right'));
    symlinkSync(join(looped, 'left', '000.png'), join(looped, 'left', 'copy.png'));
    warnings.length = 0;
    const data = await load({ path: 'looped', testSplit: 0.2 });
    const plain = await load({ path: 'train', testSplit: 0.2 });
    expect(data.train.count + data.test.count).toBe(plain.train.count + plain.test.count);
    expect(Array.from(data.train.labels)).toEqual(Array.from(plain.train.labels));
    expect(warnings).toContain('8 links lead to a folder or image already read (a link loop, or a second path to the same files): each folder and image was read once');
  });
});
