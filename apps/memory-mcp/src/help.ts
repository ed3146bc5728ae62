export const HELP = (version: string) => `memory-mcp ${version}: run untrusted code for AI agents, over MCP

usage:
  memory-mcp                  serve MCP over stdio (for Claude Desktop, Cursor, ...)
  memory-mcp --http [port]    serve Streamable HTTP on 127.0.0.1 (default port 3333), endpoint /mcp
  memory-mcp doctor           check what works on this machine, exit non-zero if something required is missing
  memory-mcp --version        print the version

options:
  --host <host>               HTTP bind address (default 127.0.0.1; anything else needs MCP_AUTH_TOKEN)
  --allowed-host <host[:port]>  another Host header to accept (repeatable; MCP_ALLOWED_HOSTS, comma-separated)
  --allowed-origin <origin>   a browser Origin to accept (repeatable; MCP_ALLOWED_ORIGINS)
  --stateless                 HTTP without sessions: any instance behind a load balancer serves any request
  --db <path | file:URL>      database file (default: the user data directory)
  --backend <hybrid|kind>     hybrid (default) or one configured backend: node, wasm, or a contributed kind

environment: MCP_SANDBOX_BACKEND, MCP_ISOLATION, MCP_WASM_RATIO, MCP_MAX_CONCURRENCY, MCP_TIMEOUT_MS, MCP_MEMORY_MB,
  MCP_FUEL_PER_SECOND, MCP_MAX_OUTPUT_BYTES, MCP_HTTP_PORT, MCP_HTTP_HOST, MCP_AUTH_TOKEN, MCP_HTTP_STATELESS,
  MCP_ALLOWED_HOSTS, MCP_ALLOWED_ORIGINS, MCP_HTTP_MAX_BODY_BYTES, MCP_HTTP_MAX_CONNECTIONS,
  MCP_HTTP_HEADERS_TIMEOUT_MS, MCP_HTTP_REQUEST_TIMEOUT_MS, MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS, MCP_SESSION_IDLE_MS,
  MCP_MAX_SESSIONS, MCP_SHUTDOWN_GRACE_MS, MCP_STDIO_MAX_LINE_BYTES, TURSO_URL, TURSO_TOKEN, MEMORY_MCP_DATA_DIR,
  MEMORY_MCP_SESSIONS_MAX, MEMORY_MCP_SESSION_STATE_MB, MEMORY_MCP_SESSION_TTL_MS, MEMORY_MCP_SESSION_MAX_TTL_MS
`;
