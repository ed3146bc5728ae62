export {
  type ConformanceCase,
  type ConformanceOptions,
  conformanceCases,
  describeBackendConformance,
} from './conformance.js';
export { type ConformanceKit, javascriptKit, watKit } from './conformance-kit.js';
