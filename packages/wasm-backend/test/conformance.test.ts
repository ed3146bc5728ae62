import { describeBackendConformance, watKit } from '@memory-mcp/sandbox-core/testing';
import { WasmBackend } from '../src/index.js';

describeBackendConformance('wasm (WAT)', () => new WasmBackend(), { kit: watKit });
