import { listExecutionsOutput } from '../output-schemas.js';
import { listExecutionsInput } from '../schemas.js';
import { executionListItemToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const listExecutionsTool = (ctx: ToolContext) =>
  defineTool({
    name: 'list_executions',
    title: 'List past executions',
    description:
      'Execution history, newest first, filtered by status, backend, episode and time; paginated with cursor.',
    input: listExecutionsInput,
    output: listExecutionsOutput,
    async handler(args) {
      const page = await ctx.store.executions.list({
        ...(args.status ? { status: args.status } : {}),
        ...(args.backend ? { backend: args.backend } : {}),
        ...(args.episode_id ? { episodeId: args.episode_id } : {}),
        ...(args.since ? { since: new Date(args.since) } : {}),
        ...(args.limit ? { limit: args.limit } : {}),
        ...(args.cursor ? { cursor: args.cursor } : {}),
      });
      const items = page.items.map(executionListItemToWire);
      return {
        structured: {
          count: items.length,
          items,
          ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
        },
      };
    },
  });
