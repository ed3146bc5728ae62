import type { SessionInfo } from '@memory-mcp/sandbox-core';
import { deleteSessionOutput, sessionListOutput, sessionOutput } from '../output-schemas.js';
import { createSessionInput, forkSessionInput, listSessionsInput, sessionIdInput } from '../schemas.js';
import { defineTool, type ToolContext } from './tool-definition.js';

/** A session as clients see it: never its state, only what describes it. */
export const sessionToWire = (s: SessionInfo) => ({
  session_id: s.id,
  label: s.label ?? null,
  created_at: new Date(s.createdAt).toISOString(),
  last_used_at: new Date(s.lastUsedAt).toISOString(),
  expires_at: new Date(s.expiresAt).toISOString(),
  ttl_seconds: s.ttlMs / 1000,
  version: s.version,
  calls: s.calls,
  state_bytes: s.stateBytes,
  forked_from: s.forkedFrom ?? null,
  limits: (s.limits as Record<string, number> | undefined) ?? null,
});

const ttlMs = (seconds: number | undefined) => (seconds === undefined ? {} : { ttlMs: seconds * 1000 });

export const createSessionTool = (ctx: ToolContext) =>
  defineTool({
    name: 'create_session',
    title: 'Create a JavaScript session',
    description: `Creates a session whose JavaScript state persists from one execute_agent_code call (with session_id) to the next, across server restarts, until it is deleted or idle past its TTL (default ${ctx.sandbox.sessions.limits.ttlMs / 3_600_000} h). Keep state on globalThis (\`globalThis.rows = ...\`); \`const\`/\`let\` inside a call stay local to it. Only calls that end ok save their state. The session_id is the only key to the session: keep it private. At most ${ctx.sandbox.sessions.limits.maxSessions} sessions, each state at most ${Math.round(ctx.sandbox.sessions.limits.maxStateBytes / 1048576)} MiB compressed.`,
    input: createSessionInput,
    output: sessionOutput,
    async handler(args) {
      const info = await ctx.sandbox.createSession({
        ...ttlMs(args.ttl_seconds),
        ...(args.limits ? { limits: args.limits } : {}),
        ...(args.label !== undefined ? { label: args.label } : {}),
      });
      return { structured: sessionToWire(info) };
    },
  });

export const forkSessionTool = (ctx: ToolContext) =>
  defineTool({
    name: 'fork_session',
    title: 'Fork a JavaScript session',
    description:
      "Creates a new session starting from another session's last saved state. The two are independent from then on: calls in one never change the other.",
    input: forkSessionInput,
    output: sessionOutput,
    async handler(args) {
      const info = await ctx.sandbox.forkSession(args.session_id, {
        ...ttlMs(args.ttl_seconds),
        ...(args.label !== undefined ? { label: args.label } : {}),
      });
      return { structured: sessionToWire(info) };
    },
  });

export const listSessionsTool = (ctx: ToolContext) =>
  defineTool({
    name: 'list_sessions',
    title: 'List JavaScript sessions',
    description:
      "The live sessions on this server, most recently used first (ids, labels, sizes, expiry; never their state). Every client of this server sees them: a server's clients are one principal, as they are for the execution history.",
    input: listSessionsInput,
    output: sessionListOutput,
    async handler(args) {
      const sessions = await ctx.sandbox.listSessions(args.limit ?? 100);
      return { structured: { sessions: sessions.map(sessionToWire) } };
    },
  });

export const deleteSessionTool = (ctx: ToolContext) =>
  defineTool({
    name: 'delete_session',
    title: 'Delete a JavaScript session',
    description: 'Deletes a session and its saved state. Its id stops working at once.',
    input: sessionIdInput,
    output: deleteSessionOutput,
    async handler(args) {
      const deleted = await ctx.sandbox.deleteSession(args.session_id);
      return { structured: { session_id: args.session_id, deleted } };
    },
  });
