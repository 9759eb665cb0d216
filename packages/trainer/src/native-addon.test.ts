import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from './native-addon.js';

/** The kernel's transparent huge page mode (always, madvise or never), where it says. */
function hugePageMode(): string | undefined {
  const file = '/sys/kernel/mm/transparent_hugepage/enabled';
  return existsSync(file) ? /\[(\w+)\]/.exec(readFileSync(file, 'utf8'))?.[1] : undefined;
}

/**
 * A fresh Node process (the allocator's settings are the process's) that touches a 24 MiB block, with or
 * without keepFreedMemory first: what it answered, and how much of its memory is in huge pages.
 */
function touchBlock(keep: boolean): { advised: number; hugeKiB: number } {
  const addonPath = createRequire(import.meta.url).resolve('../build/Release/specml_native.node');
  const script = `
    const addon = require(${JSON.stringify(addonPath)});
    const advised = ${keep} ? addon.keepFreedMemory() : 0;
    const block = Buffer.allocUnsafeSlow(24 << 20);
    for (let i = 0; i < block.length; i += 4096) block[i] = 1;
    const hugeKiB = Number(/AnonHugePages:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);
    process.stdout.write(JSON.stringify({ advised, hugeKiB, touched: block[4096] }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const mode = hugePageMode();
// Elsewhere (no /sys/kernel/mm/transparent_hugepage, or mode never) the setting is harmless and untestable.
describe.skipIf(!loadNativeAddon().ok || mode === undefined || mode === 'never' || !existsSync('/proc/self/smaps_rollup'))('keepFreedMemory', () => {
  it('gives the heap huge pages: a 24 MiB block is touched in 2 MiB pages, not 4 KiB ones', () => {
    const kept = touchBlock(true);
    expect(kept.advised).toBeGreaterThanOrEqual(64 << 20);
    expect(kept.hugeKiB).toBeGreaterThanOrEqual(16 << 10);
    // With the kernel in madvise mode only an advised heap gets them.
    if (mode === 'madvise') expect(touchBlock(false).hugeKiB).toBeLessThan(kept.hugeKiB - (8 << 10));
  });
});
