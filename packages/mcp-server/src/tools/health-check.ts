import { healthCheckOutput } from '../output-schemas.js';
import { emptyInput } from '../schemas.js';
import { defineTool, type ToolContext } from './tool-definition.js';

const redactUrl = (url: string) => url.replace(/(authToken|token)=[^&]+/gi, '$1=***');

/** `health_check`: each backend's health, and the store's real state from a probe write. */
export const healthCheckTool = (ctx: ToolContext) =>
  defineTool({
    name: 'health_check',
    title: 'Sandbox and database health',
    description:
      "Each backend's health and capabilities (isolation, network isolation, fuel), pool statistics, queue depth, and the database's real state (ok, read_only, full, unreachable), from a probe write, with its latency.",
    input: emptyInput,
    output: healthCheckOutput,
    async handler() {
      const [health, db] = await Promise.all([ctx.sandbox.health(), ctx.store.state()]);
      return {
        structured: {
          healthy: health.healthy && db.state === 'ok',
          sandbox: health as unknown as Record<string, unknown>,
          database: {
            url: redactUrl(ctx.store.url),
            state: db.state,
            writable: db.state === 'ok',
            latency_ms: db.latencyMs,
            ...(db.error ? { error: db.error } : {}),
          },
        },
      };
    },
  });
