// Start-up order matters for the first call's latency: only light modules are imported here. The
// backends start first (their jailed executors boot and warm the JavaScript engine in parallel),
// then the MCP SDK, the store and the transports load.
import { createRequire } from 'node:module';
import { type AppConfig, parseArgs } from './app-config.js';
import type { Runtime } from './build-runtime.js';
import { HELP } from './help.js';
import { prepareDataDir } from './prepare-data-dir.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
const log = (message: string) => process.stderr.write(`memory-mcp: ${message}\n`);

async function main(): Promise<number> {
  let config: AppConfig | undefined;
  let runtime: Runtime | undefined;
  let stopTransport: (() => Promise<void>) | undefined;
  let stopAccepting: (() => void) | undefined;
  let stopping = false;

  /**
   * Stop taking calls, let those in flight finish within the grace period, cancel the rest (each
   * still gets its answer, saying so), then close the transport, the sandbox and the store.
   */
  async function shutdown(reason: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    const grace = config?.shutdownGraceMs ?? 0;
    const force = setTimeout(() => {
      log('shutdown took too long; exiting');
      process.exit(1);
    }, grace + 15_000);
    force.unref();
    stopAccepting?.();
    if (runtime) {
      log(
        `shutting down (${reason}): ${runtime.callTracker.inFlight} call(s) in flight, up to ${grace} ms to finish`,
      );
      const { finished, cancelled } = await runtime.callTracker.drain(grace);
      if (finished + cancelled > 0) log(`answered ${finished} finished and ${cancelled} cancelled call(s)`);
    } else log(`shutting down (${reason})`);
    await stopTransport?.().catch(() => {});
    await runtime?.close().catch((error: unknown) => log(`close: ${(error as Error).message}`));
    process.exit(0);
  }

  try {
    config = parseArgs(process.argv.slice(2));
    if (config.command === 'help') {
      process.stdout.write(HELP(version));
      return 0;
    }
    if (config.command === 'version') {
      process.stdout.write(`${version}\n`);
      return 0;
    }
    if (config.databasePath) prepareDataDir(config.databasePath);
    if (config.command === 'doctor') return await (await import('./doctor.js')).doctor(config, version);

    // Signals are handled from the start, so a stop that arrives while starting up is still graceful.
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    const started = (await import('./start-backends.js')).startBackends(config);
    runtime = await (await import('./build-runtime.js')).buildRuntime(config, {}, started);
  } catch (error) {
    const { describeStartupError } = await import('./startup-error.js');
    const { line, exitCode } = describeStartupError(error, config);
    log(line);
    return exitCode;
  }
  log(`data: ${config.databasePath ?? config.databaseUrl.replace(/\?.*$/, '')}`);
  log(`sandbox: ${config.sandbox.backend} (${Object.keys(runtime.sandbox.backends).join(', ')})`);
  const walls = import('./describe-walls.js').then(({ describeWalls }) =>
    describeWalls(config.sandbox.isolation),
  );
  const info = { name: 'memory-mcp', version };

  if (config.http) {
    log(`walls: ${(await walls).line}`);
    const { serveHttp } = await import('./serve-http.js');
    const handle = await serveHttp(runtime, config.http, info);
    stopTransport = () => handle.close();
    stopAccepting = () => handle.stopListening();
    log(
      `listening on ${handle.url}${config.http.authToken ? ' (bearer token required)' : ''}${config.http.stateless ? ' (stateless)' : ''}`,
    );
  } else {
    const [{ createAppServer }, { BoundedStdioTransport }] = await Promise.all([
      import('./create-app-server.js'),
      import('./bounded-stdio-transport.js'),
    ]);
    const server = createAppServer(runtime, info);
    const transport = new BoundedStdioTransport({ maxLineBytes: config.stdioMaxLineBytes });
    transport.oninputend = () => void shutdown('stdin closed');
    transport.onclose = () => void shutdown('stdio closed');
    transport.onerror = (error) => log(`stdio: ${error.message}`);
    await server.connect(transport);
    stopTransport = () => server.close();
    log('serving MCP over stdio');
    // the walls are checked (a bwrap probe) after the transport answers, not before
    log(`walls: ${(await walls).line}`);
  }
  if (stopping) await shutdown('stopped while starting');
  return -1; // keep running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    log(`fatal: ${(error as Error).message ?? error}`);
    process.exit(1);
  },
);
