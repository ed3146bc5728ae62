import { analyzePatternsOutput } from '../output-schemas.js';
import { analyzePatternsInput } from '../schemas.js';
import { patternsToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const analyzePatternsTool = (ctx: ToolContext) =>
  defineTool({
    name: 'analyze_patterns',
    title: 'Analyze patterns in past work',
    description:
      'Success rates per task type and per backend, the most common error kinds, and the most frequent step sequences in successful episodes.',
    input: analyzePatternsInput,
    output: analyzePatternsOutput,
    async handler(args) {
      const patterns = await ctx.store.patterns.analyze({
        ...(args.task_type ? { taskType: args.task_type } : {}),
        ...(args.min_success_rate !== undefined ? { minSuccessRate: args.min_success_rate } : {}),
        ...(args.limit ? { limit: args.limit } : {}),
      });
      return { structured: patternsToWire(patterns) };
    },
  });
