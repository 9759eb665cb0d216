// Run by `npm run build` after TypeScript: writes the spec schema's validator as code (see spec-validator.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { specValidatorModule } from './spec-validator.js';

writeFileSync(join(import.meta.dirname, 'spec-validator.generated.js'), specValidatorModule());
