import { randomUUID } from 'node:crypto';
import {
  type ExecutionRequest,
  type ExecutionResult,
  InvalidRequestError,
  QueueFullError,
} from '@memory-mcp/sandbox-core';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { startProgress } from '../progress.js';
import { ProtocolError } from '../protocol-error.js';
import { executeAgentCodeInput, executionResultOutput } from '../schemas.js';
import { StoreUnavailableError } from '../store/store-unavailable-error.js';
import { summarizeResult } from '../summarize-result.js';
import { executionResultToWire } from '../wire-mappers.js';
import { defineTool, type ToolContext } from './tool-definition.js';

/** `execute_agent_code`: checks the record can be written, runs the code, records it, answers. */
export const executeAgentCodeTool = (ctx: ToolContext) =>
  defineTool({
    name: 'execute_agent_code',
    title: 'Execute code in the sandbox',
    description: `Runs code in an isolated sandbox (languages configured here: ${ctx.configured.languages.join(', ')}; backends: ${ctx.configured.backends.join(', ')}) and returns stdout, stderr, the return value, the status (ok, error, timeout, out_of_fuel, memory_limit, output_limit, denied, cancelled), where it ran and why, and what it cost. JS code is the body of an async function: use \`return\` for the result and \`input\` for context.input. WebAssembly is given as base64. With session_id (see create_session), JavaScript runs in that session's saved state: state kept on globalThis carries to the next call; only a call that ends ok saves its end state, and a call that fails (error, timeout, out_of_fuel, memory_limit, ...) leaves the session as it was. Calls in one session run one at a time.`,
    input: executeAgentCodeInput(ctx.configured),
    output: executionResultOutput,
    async handler(args, { extra, signal }) {
      const { sandbox, store } = ctx;
      // Code must not run when its record would be refused: an unknown episode, or a store that
      // cannot take a write (read-only, full, unreachable) stops the call before anything runs.
      if (args.episode_id) await store.episodes.require(args.episode_id);
      await store.assertWritable(64 * 1024 + (args.code?.length ?? 0) * 2);
      let request: ExecutionRequest;
      if (args.module_id) {
        const bytes = await store.modules.get(args.module_id);
        if (!bytes) throw new InvalidRequestError('module_id', `no stored module ${args.module_id}`);
        request = { language: 'wasm', code: bytes };
      } else {
        const language = args.language ?? ctx.configured.defaultLanguage;
        request = { language: language as ExecutionRequest['language'], code: args.code! };
      }
      if (args.context?.input !== undefined) request.input = args.context.input;
      if (args.stdin !== undefined) request.stdin = args.stdin;
      if (args.args) request.args = args.args;
      if (args.entry) request.entry = args.entry;
      if (args.backend) request.backend = args.backend as ExecutionRequest['backend'];
      if (args.limits) request.limits = args.limits;
      if (args.session_id) request.sessionId = args.session_id;
      request.signal = signal;

      const stopProgress = startProgress(extra, ctx.progressIntervalMs);
      let result: ExecutionResult;
      try {
        result = await sandbox.execute(request);
      } catch (error) {
        if (QueueFullError.isInstance(error)) return { errorText: error.message };
        throw error;
      } finally {
        await stopProgress(true);
      }
      if (result.status === 'cancelled' && signal.aborted && !extra.signal.aborted) {
        const reason = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
        result = { ...result, error: { kind: 'cancelled', message: `cancelled: ${reason}` } };
      }
      const executionId = randomUUID();
      try {
        await store.executions.record({
          id: executionId,
          ...(args.episode_id ? { episodeId: args.episode_id } : {}),
          language: request.language,
          code: args.module_id ? `module:${args.module_id}` : (args.code ?? ''),
          result,
        });
      } catch (error) {
        // The store failed between the check and the record (the disk filled meanwhile): the code
        // did run, so say so and hand back its result rather than lose it.
        if (!StoreUnavailableError.isInstance(error)) throw error;
        throw new ProtocolError({
          code: ErrorCode.InternalError,
          message: `execute_agent_code: the code ran (status ${result.status}) but its record could not be written: ${error.message}`,
          data: { store: error.state, result: executionResultToWire(result, executionId, args.episode_id) },
        });
      }
      return {
        text: summarizeResult(result, executionId),
        structured: executionResultToWire(result, executionId, args.episode_id),
        isError: result.status !== 'ok',
      };
    },
  });
