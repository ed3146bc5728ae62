import { getMetricsOutput } from '../output-schemas.js';
import { emptyInput } from '../schemas.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const getMetricsTool = (ctx: ToolContext) =>
  defineTool({
    name: 'get_metrics',
    title: 'Sandbox and tool metrics',
    description:
      'Execution counts by status and backend, latency percentiles (p50/p95/p99), queue depth, and per-tool call counts.',
    input: emptyInput,
    output: getMetricsOutput,
    async handler() {
      return {
        structured: {
          sandbox: ctx.sandbox.metrics() as unknown as Record<string, unknown>,
          tools: ctx.metrics.snapshot(),
        },
      };
    },
  });
