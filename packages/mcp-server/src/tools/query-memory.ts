import { queryMemoryOutput } from '../output-schemas.js';
import { queryMemoryInput } from '../schemas.js';
import { episodeToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const queryMemoryTool = (ctx: ToolContext) =>
  defineTool({
    name: 'query_memory',
    title: 'Search past episodes',
    description:
      'Full-text search (SQLite FTS5, bm25) over past episodes with filters by domain and task type, sorted by relevance, newest, oldest, duration or success. Only the words of the query are searched; a query without any word matches nothing.',
    input: queryMemoryInput,
    output: queryMemoryOutput,
    async handler(args) {
      const episodes = await ctx.store.episodes.query({
        ...(args.query !== undefined ? { query: args.query } : {}),
        ...(args.domain ? { domain: args.domain } : {}),
        ...(args.task_type ? { taskType: args.task_type } : {}),
        ...(args.limit ? { limit: args.limit } : {}),
        ...(args.sort ? { sort: args.sort } : {}),
      });
      return { structured: { count: episodes.length, episodes: episodes.map(episodeToWire) } };
    },
  });
