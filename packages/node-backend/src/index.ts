export { detectPermissionFlag, type PermissionFlag } from './detect-permission-flag.js';
export { NodeBackend, type NodeBackendOptions, type NodeBackendStats } from './node-backend.js';
export type { ProcessPoolStats } from './process-pool.js';
export { transpileTypeScript } from './transpile-typescript.js';
