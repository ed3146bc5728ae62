import type { Compiler, UnifiedSandbox } from '@memory-mcp/sandbox-core';
import type { z } from 'zod';
import type { ConfiguredSandbox } from '../configured-sandbox.js';
import type { Extra } from '../progress.js';
import type { MemoryStore } from '../store/memory-store.js';
import type { ToolMetrics } from '../tool-metrics.js';

/** What every tool may use: built once per server by `createMemoryMcpServer`. */
export interface ToolContext {
  sandbox: UnifiedSandbox;
  store: MemoryStore;
  compiler?: Compiler;
  metrics: ToolMetrics;
  configured: ConfiguredSandbox;
  progressIntervalMs: number;
}

/** One call: the SDK's extra (progress, client cancellation) and a signal that also aborts on shutdown. */
export interface CallContext {
  extra: Extra;
  signal: AbortSignal;
}

/** A tool's answer: its structured content (validated against `output`), or a failure as text. */
export type ToolAnswer<O> = { structured: O; text?: string; isError?: boolean } | { errorText: string };

export interface ToolDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  handler(args: z.output<I>, call: CallContext): Promise<ToolAnswer<z.input<O>>>;
}

/** Keeps a tool's argument and answer types tied to its schemas. */
export const defineTool = <I extends z.ZodType, O extends z.ZodType>(tool: ToolDefinition<I, O>) =>
  tool as unknown as ToolDefinition;
