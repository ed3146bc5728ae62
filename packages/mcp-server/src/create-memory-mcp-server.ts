import {
  type Compiler,
  type ExecutionRequest,
  type ExecutionResult,
  InvalidRequestError,
  QueueFullError,
  type UnifiedSandbox,
} from '@memory-mcp/sandbox-core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  analyzePatternsInput,
  compileToWasmInput,
  completeEpisodeInput,
  emptyInput,
  executeAgentCodeInput,
  executionResultOutput,
  getExecutionInput,
  listExecutionsInput,
  logStepInput,
  queryMemoryInput,
  startEpisodeInput,
} from './schemas.js';
import type { MemoryStore } from './store/memory-store.js';
import { summarizeResult } from './summarize-result.js';
import { ToolMetrics } from './tool-metrics.js';

export interface MemoryMcpServerOptions {
  sandbox: UnifiedSandbox;
  store: MemoryStore;
  /** When given, `compile_to_wasm` is offered and `execute_agent_code` accepts `module_id`. */
  compiler?: Compiler;
  /** Shared across sessions (HTTP) so `get_metrics` counts every call. Default: a new one. */
  toolMetrics?: ToolMetrics;
  name?: string;
  version?: string;
  /** Interval between progress notifications during a long execution (ms). Default 250. */
  progressIntervalMs?: number;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface ToolDefinition<I extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: I;
  output?: z.ZodType;
  handler: (args: z.output<I>, extra: Extra) => Promise<CallToolResult>;
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any', io: 'input' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

const structured = (data: Record<string, unknown>, text = JSON.stringify(data, null, 2)): CallToolResult => ({
  content: [{ type: 'text', text }],
  structuredContent: data,
});

/** A JSON-safe copy of a result: file contents become base64. */
function toStructured(
  result: ExecutionResult,
  executionId: string,
  episodeId?: string,
): Record<string, unknown> {
  const { files, ...rest } = result;
  const out: Record<string, unknown> = { execution_id: executionId, ...rest };
  if (episodeId) out.episode_id = episodeId;
  if (files)
    out.files = Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
  return out;
}

/**
 * The memory-mcp MCP server: code execution through a `UnifiedSandbox`, execution history and
 * episodic memory in a `MemoryStore`. Transport-agnostic: connect it to stdio or Streamable HTTP.
 */
export function createMemoryMcpServer(options: MemoryMcpServerOptions): Server {
  const { sandbox, store, compiler } = options;
  const metrics = options.toolMetrics ?? new ToolMetrics();
  const progressIntervalMs = options.progressIntervalMs ?? 250;
  const server = new Server(
    { name: options.name ?? 'memory-mcp', version: options.version ?? '0.0.0' },
    {
      capabilities: { tools: {}, logging: {} },
      instructions:
        'Run code safely with execute_agent_code (JavaScript/TypeScript on a restricted Node process, WebAssembly or WAT on a fuel-metered wasm sandbox). Record work as episodes (start_episode, log_step, complete_episode) and learn from them with query_memory and analyze_patterns.',
    },
  );

  const tools: Array<ToolDefinition<z.ZodType>> = [];
  const define = <I extends z.ZodType>(tool: ToolDefinition<I>) =>
    tools.push(tool as unknown as ToolDefinition<z.ZodType>);

  define({
    name: 'execute_agent_code',
    title: 'Execute code in the sandbox',
    description:
      'Runs JavaScript, TypeScript, WebAssembly (base64) or WAT in an isolated sandbox and returns stdout, stderr, the return value, the status (ok, error, timeout, out_of_fuel, memory_limit, output_limit, denied, cancelled), where it ran and why, and what it cost. JS code is the body of an async function: use `return` for the result and `input` for context.input.',
    input: executeAgentCodeInput,
    output: executionResultOutput,
    async handler(args, extra) {
      // Check the episode first: code must not run when its record would be refused.
      if (args.episode_id) await store.requireEpisode(args.episode_id);
      let request: ExecutionRequest;
      if (args.module_id) {
        const bytes = await store.getModule(args.module_id);
        if (!bytes) throw new InvalidRequestError('module_id', `no stored module ${args.module_id}`);
        request = { language: 'wasm', code: bytes };
      } else {
        request = { language: args.language ?? 'javascript', code: args.code! };
      }
      if (args.context?.input !== undefined) request.input = args.context.input;
      if (args.stdin !== undefined) request.stdin = args.stdin;
      if (args.args) request.args = args.args;
      if (args.entry) request.entry = args.entry;
      if (args.backend) request.backend = args.backend;
      if (args.limits) request.limits = args.limits;
      request.signal = extra.signal;

      const stopProgress = startProgress(extra, progressIntervalMs);
      let result: ExecutionResult;
      try {
        result = await sandbox.execute(request);
      } catch (error) {
        if (QueueFullError.isInstance(error)) {
          return { content: [{ type: 'text', text: `${error.message}` }], isError: true };
        }
        throw error;
      } finally {
        await stopProgress(true);
      }
      const executionId = await store.recordExecution({
        ...(args.episode_id ? { episodeId: args.episode_id } : {}),
        language: request.language,
        code: args.module_id ? `module:${args.module_id}` : (args.code ?? ''),
        result,
      });
      return {
        content: [{ type: 'text', text: summarizeResult(result, executionId) }],
        structuredContent: toStructured(result, executionId, args.episode_id),
        isError: result.status !== 'ok',
      };
    },
  });

  if (compiler) {
    define({
      name: 'compile_to_wasm',
      title: 'Compile JavaScript to WebAssembly',
      description: `Compiles JavaScript to a WASI module with ${compiler.name} and stores it; run it later with execute_agent_code and module_id.`,
      input: compileToWasmInput,
      async handler(args) {
        let compiled: Awaited<ReturnType<Compiler['compile']>>;
        try {
          compiled = await compiler.compile(args.code, args.mode ? { mode: args.mode } : {});
        } catch (error) {
          return {
            content: [{ type: 'text', text: `compile error: ${(error as Error).message}` }],
            isError: true,
          };
        }
        await store.storeModule({
          id: compiled.hash,
          bytes: compiled.bytes,
          engine: `${compiled.engine.name}@${compiled.engine.version}`,
        });
        return structured({
          module_id: compiled.hash,
          size: compiled.bytes.length,
          mode: compiled.mode,
          engine: compiled.engine,
          compile_ms: compiled.compileMs,
        });
      },
    });
  }

  define({
    name: 'health_check',
    title: 'Sandbox and database health',
    description:
      "Each backend's health and capabilities (isolation, network isolation, fuel), pool statistics, queue depth, and database reachability and latency.",
    input: emptyInput,
    async handler() {
      const [health, db] = await Promise.all([sandbox.health(), store.ping()]);
      return structured({
        healthy: health.healthy && db.ok,
        sandbox: health,
        database: { url: redactUrl(store.url), ...db },
      });
    },
  });

  define({
    name: 'get_metrics',
    title: 'Sandbox and tool metrics',
    description:
      'Execution counts by status and backend, latency percentiles (p50/p95/p99), queue depth, and per-tool call counts.',
    input: emptyInput,
    async handler() {
      return structured({ sandbox: sandbox.metrics(), tools: metrics.snapshot() });
    },
  });

  define({
    name: 'start_episode',
    title: 'Start an episode',
    description:
      'Starts recording a task as an episode; returns its episode_id for log_step, execute_agent_code and complete_episode.',
    input: startEpisodeInput,
    async handler(args) {
      const episode = await store.startEpisode({
        task: args.task,
        ...(args.domain ? { domain: args.domain } : {}),
        ...(args.task_type ? { taskType: args.task_type } : {}),
        ...(args.context !== undefined ? { context: args.context } : {}),
      });
      return structured({ episode_id: episode.id, episode });
    },
  });

  define({
    name: 'log_step',
    title: 'Log a step of an episode',
    description: 'Appends an action (and its outcome) to an open episode.',
    input: logStepInput,
    async handler(args) {
      const step = await store.logStep(args.episode_id, {
        action: args.action,
        ...(args.outcome ? { outcome: args.outcome } : {}),
      });
      return structured({ step });
    },
  });

  define({
    name: 'complete_episode',
    title: 'Complete an episode',
    description: 'Closes an episode with its outcome (success, failure or partial) and notes.',
    input: completeEpisodeInput,
    async handler(args) {
      const episode = await store.completeEpisode(args.episode_id, {
        outcome: args.outcome,
        ...(args.notes ? { notes: args.notes } : {}),
      });
      return structured({ episode });
    },
  });

  define({
    name: 'query_memory',
    title: 'Search past episodes',
    description:
      'Full-text search (SQLite FTS5, bm25) over past episodes with filters by domain and task type, sorted by relevance, newest, oldest, duration or success.',
    input: queryMemoryInput,
    async handler(args) {
      const episodes = await store.queryMemory({
        ...(args.query ? { query: args.query } : {}),
        ...(args.domain ? { domain: args.domain } : {}),
        ...(args.task_type ? { taskType: args.task_type } : {}),
        ...(args.limit ? { limit: args.limit } : {}),
        ...(args.sort ? { sort: args.sort } : {}),
      });
      return structured({ count: episodes.length, episodes });
    },
  });

  define({
    name: 'analyze_patterns',
    title: 'Analyze patterns in past work',
    description:
      'Success rates per task type and per backend, the most common error kinds, and the most frequent step sequences in successful episodes.',
    input: analyzePatternsInput,
    async handler(args) {
      const patterns = await store.analyzePatterns({
        ...(args.task_type ? { taskType: args.task_type } : {}),
        ...(args.min_success_rate !== undefined ? { minSuccessRate: args.min_success_rate } : {}),
        ...(args.limit ? { limit: args.limit } : {}),
      });
      return structured({ ...patterns });
    },
  });

  define({
    name: 'list_executions',
    title: 'List past executions',
    description:
      'Execution history, newest first, filtered by status, backend, episode and time; paginated with cursor.',
    input: listExecutionsInput,
    async handler(args) {
      const page = await store.listExecutions({
        ...(args.status ? { status: args.status } : {}),
        ...(args.backend ? { backend: args.backend } : {}),
        ...(args.episode_id ? { episodeId: args.episode_id } : {}),
        ...(args.since ? { since: new Date(args.since) } : {}),
        ...(args.limit ? { limit: args.limit } : {}),
        ...(args.cursor ? { cursor: args.cursor } : {}),
      });
      const items = page.items.map(({ result, ...row }) => ({
        ...row,
        stdout_preview: result.stdout.slice(0, 200),
      }));
      return structured({
        count: items.length,
        items,
        ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
      });
    },
  });

  define({
    name: 'get_execution',
    title: 'Get one execution',
    description: 'The full stored result of one execution.',
    input: getExecutionInput,
    async handler(args) {
      const execution = await store.getExecution(args.execution_id);
      if (!execution) throw new InvalidRequestError('execution_id', `no execution ${args.execution_id}`);
      return structured({ execution: { ...execution } });
    },
  });

  const byName = new Map(tools.map((t) => [t.name, t]));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: jsonSchema(t.input) as { type: 'object' },
      ...(t.output ? { outputSchema: jsonSchema(t.output) as { type: 'object' } } : {}),
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${request.params.name}`);
    const parsed = tool.input.safeParse(request.params.arguments ?? {});
    if (!parsed.success) {
      metrics.record(tool.name, 'invalid');
      const issue = parsed.error.issues[0]!;
      const field =
        issue.path.length > 0
          ? issue.path.join('.')
          : (issue as { keys?: string[] }).keys?.join(', ') || '(arguments)';
      throw new McpError(
        ErrorCode.InvalidParams,
        `invalid arguments for ${tool.name}: ${field}: ${issue.message}`,
        {
          field,
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        },
      );
    }
    try {
      const result = await tool.handler(parsed.data, extra);
      metrics.record(tool.name, result.isError ? 'error' : 'ok');
      return result;
    } catch (error) {
      if (InvalidRequestError.isInstance(error)) {
        metrics.record(tool.name, 'invalid');
        throw new McpError(ErrorCode.InvalidParams, `invalid arguments for ${tool.name}: ${error.message}`, {
          field: error.field,
        });
      }
      metrics.record(tool.name, 'error');
      throw error;
    }
  });

  return server;
}

/** Sends MCP progress notifications while an execution runs, when the client asked for them. */
function startProgress(extra: Extra, intervalMs: number): (done: boolean) => Promise<void> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return async () => {};
  const started = performance.now();
  // Notifications go out one after another: progress must only increase, and "finished" must be
  // the last one the client sees, before the result.
  let queue: Promise<void> = Promise.resolve();
  let last = -1;
  const send = (message: string, total?: boolean) => {
    queue = queue.then(async () => {
      const progress = Math.max(last + 1, Math.round(performance.now() - started));
      last = progress;
      await extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress, message, ...(total ? { total: progress } : {}) },
        })
        .catch(() => {});
    });
    return queue;
  };
  void send('started');
  const timer = setInterval(
    () => void send(`running for ${Math.round(performance.now() - started)} ms`),
    intervalMs,
  );
  return async () => {
    clearInterval(timer);
    if (!extra.signal.aborted) await send('finished', true);
    else await queue;
  };
}

function redactUrl(url: string): string {
  return url.replace(/(authToken|token)=[^&]+/gi, '$1=***');
}
