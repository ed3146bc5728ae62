import {
  type Compiler,
  InvalidRequestError,
  SessionError,
  type UnifiedSandbox,
} from '@memory-mcp/sandbox-core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CallTracker } from './call-tracker.js';
import { describeSandbox } from './configured-sandbox.js';
import { ProtocolError } from './protocol-error.js';
import { installRequestGate } from './request-gate.js';
import type { MemoryStore } from './store/memory-store.js';
import { StoreUnavailableError } from './store/store-unavailable-error.js';
import { ToolMetrics } from './tool-metrics.js';
import { analyzePatternsTool } from './tools/analyze-patterns.js';
import { compileToWasmTool } from './tools/compile-to-wasm.js';
import { completeEpisodeTool } from './tools/complete-episode.js';
import { executeAgentCodeTool } from './tools/execute-agent-code.js';
import { getExecutionTool } from './tools/get-execution.js';
import { getMetricsTool } from './tools/get-metrics.js';
import { healthCheckTool } from './tools/health-check.js';
import { listExecutionsTool } from './tools/list-executions.js';
import { logStepTool } from './tools/log-step.js';
import { queryMemoryTool } from './tools/query-memory.js';
import {
  createSessionTool,
  deleteSessionTool,
  forkSessionTool,
  listSessionsTool,
} from './tools/session-tools.js';
import { startEpisodeTool } from './tools/start-episode.js';
import type { ToolContext, ToolDefinition } from './tools/tool-definition.js';

export interface MemoryMcpServerOptions {
  sandbox: UnifiedSandbox;
  store: MemoryStore;
  /** When given, `compile_to_wasm` is offered and `execute_agent_code` accepts `module_id`. */
  compiler?: Compiler;
  /** Shared across sessions (HTTP) so `get_metrics` counts every call. Default: a new one. */
  toolMetrics?: ToolMetrics;
  /** Shared across sessions so a shutdown can drain every call in flight. Default: a new one. */
  callTracker?: CallTracker;
  name?: string;
  version?: string;
  /** Interval between progress notifications during a long execution (ms). Default 250. */
  progressIntervalMs?: number;
  /**
   * Refuse requests other than `initialize` and `ping` before the client initialized. Default
   * true; turn off only for stateless HTTP, where every request meets a fresh server.
   */
  requireInitialize?: boolean;
}

function jsonSchema(schema: z.ZodType): { type: 'object' } & Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any', io: 'input' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json as { type: 'object' } & Record<string, unknown>;
}

/**
 * The memory-mcp MCP server: code execution through a `UnifiedSandbox`, execution history and
 * episodic memory in a `MemoryStore`. Transport-agnostic: connect it to stdio or Streamable HTTP.
 */
export function createMemoryMcpServer(options: MemoryMcpServerOptions): Server {
  const metrics = options.toolMetrics ?? new ToolMetrics();
  const tracker = options.callTracker ?? new CallTracker();
  const configured = describeSandbox(options.sandbox);
  const ctx: ToolContext = {
    sandbox: options.sandbox,
    store: options.store,
    metrics,
    configured,
    progressIntervalMs: options.progressIntervalMs ?? 250,
    ...(options.compiler ? { compiler: options.compiler } : {}),
  };
  const tools: ToolDefinition[] = [
    executeAgentCodeTool(ctx),
    ...(options.compiler ? [compileToWasmTool({ ...ctx, compiler: options.compiler })] : []),
    ...(sessionsOffered(options.sandbox)
      ? [createSessionTool(ctx), forkSessionTool(ctx), listSessionsTool(ctx), deleteSessionTool(ctx)]
      : []),
    healthCheckTool(ctx),
    getMetricsTool(ctx),
    startEpisodeTool(ctx),
    logStepTool(ctx),
    completeEpisodeTool(ctx),
    queryMemoryTool(ctx),
    analyzePatternsTool(ctx),
    listExecutionsTool(ctx),
    getExecutionTool(ctx),
  ];
  const byName = new Map(tools.map((t) => [t.name, t]));

  const server = new Server(
    { name: options.name ?? 'memory-mcp', version: options.version ?? '0.0.0' },
    {
      capabilities: { tools: {}, logging: {} },
      instructions: `Run code safely with execute_agent_code (languages here: ${configured.languages.join(', ')}). Record work as episodes (start_episode, log_step, complete_episode) and learn from them with query_memory and analyze_patterns.`,
    },
  );
  const shutdownSignal = installRequestGate(server, {
    requireInitialize: options.requireInitialize ?? true,
    tracker,
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: jsonSchema(t.input),
      outputSchema: jsonSchema(t.output),
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = byName.get(request.params.name);
    if (!tool) throw ProtocolError.invalidParams(`unknown tool: ${request.params.name}`);
    const parsed = tool.input.safeParse(request.params.arguments ?? {});
    if (!parsed.success) {
      metrics.record(tool.name, 'invalid');
      const issue = parsed.error.issues[0]!;
      const field =
        issue.path.length > 0
          ? issue.path.join('.')
          : (issue as { keys?: string[] }).keys?.join(', ') || '(arguments)';
      throw ProtocolError.invalidParams(`invalid arguments for ${tool.name}: ${field}: ${issue.message}`, {
        field,
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    // Counted in flight by the request gate, from arrival until the answer is written.
    const onShutdown = shutdownSignal(extra.requestId);
    const signal = onShutdown ? AbortSignal.any([extra.signal, onShutdown]) : extra.signal;
    try {
      const answer = await tool.handler(parsed.data, { extra, signal });
      if ('errorText' in answer) {
        metrics.record(tool.name, 'error');
        return { content: [{ type: 'text', text: answer.errorText }], isError: true };
      }
      const checked = tool.output.safeParse(answer.structured);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw new ProtocolError({
          code: ErrorCode.InternalError,
          message: `${tool.name} produced structuredContent that does not match its outputSchema: ${issue.path.join('.')}: ${issue.message}`,
        });
      }
      metrics.record(tool.name, answer.isError ? 'error' : 'ok');
      const structured = answer.structured as Record<string, unknown>;
      return {
        content: [{ type: 'text', text: answer.text ?? JSON.stringify(structured, null, 2) }],
        structuredContent: structured,
        ...(answer.isError !== undefined ? { isError: answer.isError } : {}),
      };
    } catch (error) {
      throw toProtocolError(error, tool.name, metrics);
    }
  });

  return server;
}

/** Sessions are offered when some configured backend keeps JavaScript state. */
function sessionsOffered(sandbox: UnifiedSandbox): boolean {
  return sandbox
    .capabilities()
    .some(
      ({ capabilities }) => capabilities.sessions === true && capabilities.languages.includes('javascript'),
    );
}

function toProtocolError(error: unknown, toolName: string, metrics: ToolMetrics): Error {
  if (error instanceof ProtocolError) {
    metrics.record(toolName, 'error');
    return error;
  }
  if (SessionError.isInstance(error)) {
    // an unknown or expired id is the caller's mistake; busy, full and conflict are the server's state
    metrics.record(toolName, error.reason === 'not_found' ? 'invalid' : 'error');
    return new ProtocolError({
      code: error.reason === 'not_found' ? ErrorCode.InvalidParams : ErrorCode.InternalError,
      message: `${toolName}: ${error.message}`,
      data: { session: error.reason, ...(error.sessionId ? { session_id: error.sessionId } : {}) },
    });
  }
  if (InvalidRequestError.isInstance(error)) {
    metrics.record(toolName, 'invalid');
    return ProtocolError.invalidParams(`invalid arguments for ${toolName}: ${error.message}`, {
      field: error.field,
    });
  }
  metrics.record(toolName, 'error');
  if (StoreUnavailableError.isInstance(error)) {
    const consequence = toolName === 'execute_agent_code' ? ' (the code did not run)' : '';
    return new ProtocolError({
      code: ErrorCode.InternalError,
      message: `${toolName}: ${error.message}${consequence}`,
      data: { store: error.state },
    });
  }
  if (error instanceof McpError)
    return new ProtocolError({
      code: error.code,
      message: error.message.replace(/^MCP error -?\d+: /, ''),
      data: error.data,
    });
  return new ProtocolError({
    code: ErrorCode.InternalError,
    message: (error as Error)?.message ?? String(error),
  });
}
