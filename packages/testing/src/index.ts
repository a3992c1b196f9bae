export { deciderSpec, type DeciderThen } from './decider-spec.js';
export {
  describeStoreConformance,
  storeConformanceCases,
  type StoreConformanceCase,
  type StoreConformanceOptions,
} from './conformance/store-conformance.js';
export {
  describeReadStoreConformance,
  readStoreConformanceCases,
  type ReadStoreConformanceCase,
} from './conformance/read-store-conformance.js';
