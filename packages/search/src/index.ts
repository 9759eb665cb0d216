export { randomProposal, sampleParameter, seededUniform, type Goal, type Observation, type Parameter, type Proposal, type Space, type Uniform } from './space.js';
export { tpeProposal, goodCount, trialWeights, TPE_DEFAULTS, type TpeOptions } from './tpe.js';
export { SEARCH_METHODS, SEARCH_METHOD_NAMES, isSearchMethodName, type SearchMethodName } from './methods/index.js';
export { gridProposals } from './methods/grid.js';
export type { SearchMethod, Searcher, SearchSetting } from './methods/kind.js';
export { SuccessiveHalving, type SuccessiveHalvingOptions, type Verdict } from './asha.js';
