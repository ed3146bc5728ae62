import { detectJailSupport, type JailSupport } from '@memory-mcp/process-jail';

export interface WallsReport {
  /** True when untrusted code can run at the configured level. */
  ok: boolean;
  /** One line: which walls are up, or what is missing and how to fix it. */
  line: string;
  support: JailSupport;
}

/**
 * Which walls untrusted code runs behind on this machine at the configured `MCP_ISOLATION` level,
 * in one line for `doctor`, the start-up log and the demo.
 */
export async function describeWalls(isolation: 'namespaces' | 'permission-model'): Promise<WallsReport> {
  const support = await detectJailSupport();
  const uid = support.unprivilegedUid ? `uid ${support.user?.uid ?? 'own'}` : 'the server uid';
  if (isolation === 'permission-model') {
    return {
      ok: true,
      support,
      line: `WEAKER LEVEL permission-model (MCP_ISOLATION): no namespaces; clean env, ${uid}, rlimits, Node's permission model, WebAssembly's own walls${support.level === 'namespaces' ? ' (namespaces ARE available here: unset MCP_ISOLATION to use them)' : ''}`,
    };
  }
  if (support.level === 'namespaces') {
    return {
      ok: true,
      support,
      line: `kernel walls up (bubblewrap ${support.bwrap?.version ?? '?'}): user, mount, pid, net, ipc, uts and cgroup namespaces, minimal read-only root, ${uid}, rlimits`,
    };
  }
  return {
    ok: false,
    support,
    line: `REFUSING untrusted code: ${support.reason ?? 'kernel namespaces unavailable'}; fix: ${support.fix ?? 'apt-get install bubblewrap'} (or opt into the weaker level with MCP_ISOLATION=permission-model)`,
  };
}
