import { registryOf } from '@specml/data';
import { cosine } from './cosine.js';
import { exponential } from './exponential.js';
import { plateau } from './plateau.js';
import { step } from './step.js';

/** Every learning-rate schedule. Adding one is a module beside this file and an entry here; the schema and docs follow. */
const SCHEDULES = registryOf([step, exponential, cosine, plateau], 'type');

/** The schedules by their `type:`. */
export const SCHEDULE_KINDS = SCHEDULES.byName;

/** The schema's list of schedule variants, in the registry's order. */
export const scheduleVariants = SCHEDULES.schemas;
