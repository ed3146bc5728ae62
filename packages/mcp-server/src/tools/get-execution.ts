import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { getExecutionOutput } from '../output-schemas.js';
import { getExecutionInput } from '../schemas.js';
import { storedExecutionToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

export const getExecutionTool = (ctx: ToolContext) =>
  defineTool({
    name: 'get_execution',
    title: 'Get one execution',
    description: 'The full stored result of one execution.',
    input: getExecutionInput,
    output: getExecutionOutput,
    async handler(args) {
      const execution = await ctx.store.executions.get(args.execution_id);
      if (!execution) throw new InvalidRequestError('execution_id', `no execution ${args.execution_id}`);
      return { structured: { execution: storedExecutionToWire(execution) } };
    },
  });
