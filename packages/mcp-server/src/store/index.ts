export { Database, type DatabaseOptions, type DatabaseState, type Queryable } from './database.js';
export {
  type Episode,
  type EpisodeOutcome,
  EpisodeRepository,
  type MemoryQuery,
  type MemorySort,
  type StartEpisodeInput,
  type Step,
} from './episode-repository.js';
export {
  type ExecutionFilter,
  ExecutionRepository,
  type RecordExecutionInput,
  type StoredExecution,
} from './execution-repository.js';
export { ftsQuery } from './fts-query.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { MIGRATIONS } from './migrations.js';
export { ModuleRepository, type StoreModuleInput } from './module-repository.js';
export { type PatternQuery, PatternRepository, type Patterns } from './pattern-repository.js';
export { type StoreState, StoreUnavailableError } from './store-unavailable-error.js';
