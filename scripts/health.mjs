#!/usr/bin/env node
// Placeholder for the memory-mcp app until it exists (see the mcp-server issue): builds a
// UnifiedSandbox from the environment with the backends that have landed and prints its health.
import { loadConfig } from '@memory-mcp/sandbox-core';

const config = loadConfig();
const backends = {};
console.log(
  JSON.stringify({ app: 'placeholder: the memory-mcp app has not landed yet', config, backends }, null, 2),
);
