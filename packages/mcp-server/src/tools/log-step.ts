import { logStepOutput } from '../output-schemas.js';
import { logStepInput } from '../schemas.js';
import { stepToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const logStepTool = (ctx: ToolContext) =>
  defineTool({
    name: 'log_step',
    title: 'Log a step of an episode',
    description: 'Appends an action (and its outcome) to an open episode.',
    input: logStepInput,
    output: logStepOutput,
    async handler(args) {
      const step = await ctx.store.episodes.logStep(args.episode_id, {
        action: args.action,
        ...(args.outcome !== undefined ? { outcome: args.outcome } : {}),
      });
      return { structured: { step: stepToWire(step) } };
    },
  });
