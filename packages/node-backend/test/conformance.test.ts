import { describeBackendConformance, javascriptKit } from '@memory-mcp/sandbox-core/testing';
import { NodeBackend } from '../src/index.js';

describeBackendConformance('node', () => new NodeBackend(), { kit: javascriptKit });
