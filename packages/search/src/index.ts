export { randomProposal, sampleParameter, seededUniform, type Goal, type Observation, type Parameter, type Proposal, type Space, type Uniform } from './space.js';
export { tpeProposal, TPE_DEFAULTS, type TpeOptions } from './tpe.js';
export { SuccessiveHalving, type SuccessiveHalvingOptions, type Verdict } from './asha.js';
