import type { ExecutionRequest } from './execution-request.js';
import type { Policy } from './limits.js';

export interface PrecheckDenial {
  /** Which policy switch forbids it: `allowProcesses`, `allowNetwork`. */
  rule: keyof Policy;
  /** What in the code matched. */
  match: string;
  reason: string;
}

const PROCESS_MODULES =
  /(?:require\s*\(\s*|from\s*|import\s*\(\s*)['"](?:node:)?(child_process|cluster|worker_threads)['"]/;
const PROCESS_CALLS = /\bprocess\s*\.\s*(binding|_linkedBinding|dlopen)\s*\(/;
const NETWORK_MODULES =
  /(?:require\s*\(\s*|from\s*|import\s*\(\s*)['"](?:node:)?(net|tls|dgram|dns|http|https|http2)(?:\/promises)?['"]/;

/**
 * A fast, friendly early refusal of code that obviously breaks the policy, so the caller gets a
 * clear `denied` result without paying for a backend. This is a courtesy, NOT the security
 * boundary: it is trivially evaded (string concatenation, eval). Isolation is enforced by the
 * backends (process permissions, network namespaces, WASI with no ambient authority).
 */
export function precheckPolicy(request: ExecutionRequest, policy: Policy): PrecheckDenial | undefined {
  if (request.language !== 'javascript' && request.language !== 'typescript') return undefined;
  if (typeof request.code !== 'string') return undefined;
  const code = request.code;
  if (!policy.allowProcesses) {
    const mod = PROCESS_MODULES.exec(code);
    if (mod) {
      return {
        rule: 'allowProcesses',
        match: mod[1]!,
        reason: `the policy denies child processes and workers, and the code loads '${mod[1]}'`,
      };
    }
    const call = PROCESS_CALLS.exec(code);
    if (call) {
      return {
        rule: 'allowProcesses',
        match: `process.${call[1]}`,
        reason: `the policy denies native bindings, and the code calls process.${call[1]}()`,
      };
    }
  }
  if (!policy.allowNetwork) {
    const mod = NETWORK_MODULES.exec(code);
    if (mod) {
      return {
        rule: 'allowNetwork',
        match: mod[1]!,
        reason: `the policy denies network access, and the code loads '${mod[1]}'`,
      };
    }
  }
  return undefined;
}
