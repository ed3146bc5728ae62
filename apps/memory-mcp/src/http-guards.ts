import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopback } from './app-config.js';

/** Hostname of a Host header value (`[::1]:3333` → `::1`, `Example.COM:80` → `example.com`). */
function hostnameOf(host: string): string {
  const trimmed = host.trim().toLowerCase();
  if (trimmed.startsWith('[')) return trimmed.slice(1, trimmed.indexOf(']'));
  return trimmed.replace(/:\d+$/, '');
}

export interface HostPolicy {
  /** Bound to a loopback address. */
  loopback: boolean;
  port: number;
  /** Configured extra hosts: `name` (any port) or `name:port`. */
  allowedHosts: string[];
}

/**
 * DNS-rebinding protection. Loopback servers accept only loopback Host names on their port, plus
 * configured hosts. A server bound elsewhere (which requires a token) accepts any Host unless
 * hosts are configured, in which case only those (and loopback) pass.
 */
export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  if (!header) return false;
  const value = header.trim().toLowerCase();
  const name = hostnameOf(value);
  const port = /:(\d+)$/.exec(value.replace(/^\[[^\]]*\]/, ''))?.[1];
  if (isLoopback(name) && (port === undefined || Number(port) === policy.port)) return true;
  if (
    policy.allowedHosts.some((allowed) =>
      allowed.includes(':') && !allowed.startsWith('[') ? allowed === value : hostnameOf(allowed) === name,
    )
  )
    return true;
  return !policy.loopback && policy.allowedHosts.length === 0;
}

/**
 * Origin validation (the MCP spec requires it): requests without Origin (non-browser clients)
 * pass; a browser's Origin must be a loopback origin or one configured with --allowed-origin.
 */
export function originAllowed(header: string | undefined, allowedOrigins: string[]): boolean {
  if (header === undefined) return true;
  const origin = header.trim().toLowerCase();
  if (allowedOrigins.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopback(hostnameOf(url.host));
  } catch {
    return false;
  }
}

export function authorized(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
