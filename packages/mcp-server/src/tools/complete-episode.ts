import { completeEpisodeOutput } from '../output-schemas.js';
import { completeEpisodeInput } from '../schemas.js';
import { episodeToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const completeEpisodeTool = (ctx: ToolContext) =>
  defineTool({
    name: 'complete_episode',
    title: 'Complete an episode',
    description: 'Closes an episode with its outcome (success, failure or partial) and notes.',
    input: completeEpisodeInput,
    output: completeEpisodeOutput,
    async handler(args) {
      const episode = await ctx.store.episodes.complete(args.episode_id, {
        outcome: args.outcome,
        ...(args.notes !== undefined ? { notes: args.notes } : {}),
      });
      return { structured: { episode: episodeToWire(episode) } };
    },
  });
