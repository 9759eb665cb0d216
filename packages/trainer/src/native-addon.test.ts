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

/** How many times the kernel could not give a huge page where one was asked for, so far. */
function hugePageFallbacks(): number {
  return Number(/^thp_fault_fallback (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1] ?? 0);
}

/**
 * A fresh Node process (the allocator's settings are the process's) that touches a 24 MiB block, with or
 * without keepFreedMemory first: what it answered, the heap's mappings advised for huge pages (MiB; smaps'
 * `hg` flag), and how much of its memory is in huge pages.
 */
function touchBlock(keep: boolean): { advised: number; advisedHeapMiB: number; hugeKiB: number } {
  const addonPath = createRequire(import.meta.url).resolve('../build/Release/specml_native.node');
  const script = `
    const { readFileSync } = require('fs');
    const addon = require(${JSON.stringify(addonPath)});
    const advised = ${keep} ? addon.keepFreedMemory() : 0;
    const block = Buffer.allocUnsafeSlow(24 << 20);
    for (let i = 0; i < block.length; i += 4096) block[i] = 1;
    const mappings = readFileSync('/proc/self/smaps', 'utf8').split(/\\n(?=[0-9a-f]+-[0-9a-f]+ )/);
    const advisedHeapMiB = mappings.filter((m) => m.split('\\n')[0].endsWith('[heap]') && /^VmFlags:.* hg/m.test(m)).reduce((sum, m) => sum + Number(/^Size:\\s+(\\d+) kB/m.exec(m)[1]) / 1024, 0);
    const hugeKiB = Number(/AnonHugePages:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);
    process.stdout.write(JSON.stringify({ advised, advisedHeapMiB, hugeKiB, touched: block[4096] }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const mode = hugePageMode();
// Elsewhere (no /sys/kernel/mm/transparent_hugepage, or mode never) the setting is harmless and untestable.
describe.skipIf(!loadNativeAddon().ok || mode === undefined || mode === 'never' || !existsSync('/proc/self/smaps_rollup'))('keepFreedMemory', () => {
  it('advises the heap for huge pages, and a 24 MiB block is then touched in 2 MiB pages, not 4 KiB ones', () => {
    const fallbacksBefore = hugePageFallbacks();
    const kept = touchBlock(true);
    expect(kept.advised).toBeGreaterThanOrEqual(64 << 20);
    expect(kept.advisedHeapMiB).toBeGreaterThanOrEqual(64);
    expect(touchBlock(false).advisedHeapMiB).toBe(0);
    // Whether the kernel has free 2 MiB pages to give is the machine's state, not ours: counted, not assumed.
    if (hugePageFallbacks() === fallbacksBefore) expect(kept.hugeKiB).toBeGreaterThanOrEqual(16 << 10);
  });
});
