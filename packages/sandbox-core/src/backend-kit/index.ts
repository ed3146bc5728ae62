export { LIMIT_STATUS, type LimitExceeded, type LimitName, limitExceeded } from './limit-exceeded.js';
export { DEFAULT_FUEL_PER_SECOND, fuelBudget, limitsFromConfig, MIB } from './limits-from-config.js';
export { OutputCap, type OutputCapOptions, type OutputStream, utf8SafeCut } from './output-cap.js';
export {
  type DecodedValue,
  decodeResultValue,
  type EncodedValue,
  encodeResultValue,
  NOT_JSON_PREFIX,
  utf8Length,
} from './result-value.js';
