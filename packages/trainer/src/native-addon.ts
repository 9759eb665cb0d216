import { createRequire } from 'node:module';
import type { BackgroundImageTransform, ImageTransform } from '@specml/data';
import type { Loaded, NativeNetworkHandle, NativeNetworkOptions } from './backend.js';

// The compiled engine's entry points. This module imports nothing but Node's: the CLI's first step
// (keepFreedMemory) loads it before any other module, through the package's `./native-addon` export.

export interface NativeAddon {
  NativeNetwork: new (options: NativeNetworkOptions) => NativeNetworkHandle;
  /** What the engine can train, from its own registries. */
  capabilities(): { layers: string[]; optimizers: string[]; losses: string[]; activations: string[] };
  /** data.augment's transform, as @specml/data's transformImages computes it. */
  transformImages: ImageTransform;
  /** The same on a worker thread. */
  transformImagesInBackground: BackgroundImageTransform;
  /** Ends the process with `code` at once, leaving its memory to the system (see exitAfterWork). */
  exitAtOnce(code: number): never;
  /** Sets how the process's C heap takes memory from the system (native/memory.cc); answers the bytes of heap given huge pages. */
  keepFreedMemory(): number;
}

let nativeAddon: Loaded<NativeAddon> | undefined;

/** Loads the addon built by `npm ci` (packages/trainer/build/Release/specml_native.node), once. */
export function loadNativeAddon(): Loaded<NativeAddon> {
  if (!nativeAddon) {
    try {
      const require = createRequire(import.meta.url);
      nativeAddon = { ok: true, value: require('../build/Release/specml_native.node') as NativeAddon };
    } catch (error) {
      nativeAddon = {
        ok: false,
        reason: `the native engine is not built (${String((error as Error)?.message ?? error).split('\n')[0]}); run \`npm run build:native -w @specml/trainer\` to build it and see why it failed`,
      };
    }
  }
  return nativeAddon;
}

/**
 * Has the process keep the memory it frees and take its heap in 2 MiB pages (native/memory.cc says why: a
 * first touch of a page is slow on the machines measured, and a short run touches tens of thousands).
 * Called first thing by the CLI, before the modules load (their loading allocates much of what is touched);
 * answers the bytes of heap given huge pages, 0 where that could not be done or the engine is not built.
 */
export function keepFreedMemory(): number {
  const addon = loadNativeAddon();
  return addon.ok ? addon.value.keepFreedMemory() : 0;
}
