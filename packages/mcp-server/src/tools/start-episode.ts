import { startEpisodeOutput } from '../output-schemas.js';
import { startEpisodeInput } from '../schemas.js';
import { episodeToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const startEpisodeTool = (ctx: ToolContext) =>
  defineTool({
    name: 'start_episode',
    title: 'Start an episode',
    description:
      'Starts recording a task as an episode; returns its episode_id for log_step, execute_agent_code and complete_episode.',
    input: startEpisodeInput,
    output: startEpisodeOutput,
    async handler(args) {
      const episode = await ctx.store.episodes.start({
        task: args.task,
        ...(args.domain ? { domain: args.domain } : {}),
        ...(args.task_type ? { taskType: args.task_type } : {}),
        ...(args.context !== undefined ? { context: args.context } : {}),
      });
      return { structured: { episode_id: episode.id, episode: episodeToWire(episode) } };
    },
  });
