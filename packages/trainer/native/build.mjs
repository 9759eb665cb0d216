// Builds the optional fused kernel at install time. It is compiled on the machine that runs it, so
// -march=native picks AVX2/FMA/AVX-512 where the CPU has them. A failed build never fails `npm ci`:
// training then runs on tfjs (the `fused` backend is reported as unavailable).
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.env.SPECML_SKIP_NATIVE === '1') {
  console.log('specml: SPECML_SKIP_NATIVE=1, not building the fused kernel');
  process.exit(0);
}
const packageRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (result.status === 0) {
  console.log('specml: built the fused dense-stack kernel');
} else {
  const reason = result.error ? result.error.message : (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
  console.warn(`specml: could not build the optional fused kernel; training will use tfjs.\n${reason}`);
}
