// Two stateless app instances on one database file behind a real nginx doing round-robin: a
// client makes 200 calls through nginx; every call is answered and recorded once in the shared db.
// Then a JavaScript session through nginx: each instance resumes what the other saved, and calls
// at once from two clients are kept or refused as busy, never lost.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@memory-mcp/mcp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { exec, httpClient, startHttpApp, WAT_ID } from './helpers.js';

const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-nginx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function waitForPort(port: number, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The production shape in miniature: nginx round-robin over the given upstream ports. */
function nginxConfig(root: string, listen: number, upstreams: number[]): string {
  return `daemon off;
worker_processes 1;
pid ${root}/nginx.pid;
error_log ${root}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${root}/tmp/body;
  proxy_temp_path ${root}/tmp/proxy;
  fastcgi_temp_path ${root}/tmp/fastcgi;
  uwsgi_temp_path ${root}/tmp/uwsgi;
  scgi_temp_path ${root}/tmp/scgi;
  upstream memory_mcp {
${upstreams.map((p) => `    server 127.0.0.1:${p};`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${listen};
    location /mcp {
      proxy_pass http://memory_mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`;
}

describe('two instances behind nginx', () => {
  it('200 calls through round-robin, every one recorded; a session resumed across both instances', async () => {
    if (!existsSync(NGINX))
      throw new Error(
        `this test needs nginx at ${NGINX}: install the Debian package nginx, or set NGINX_BIN`,
      );
    const db = join(dir, 'shared.db');
    const listen = await freePort();
    const allowed = ['--stateless', '--allowed-host', `127.0.0.1:${listen}`];
    const apps = [await startHttpApp(db, {}, allowed), await startHttpApp(db, {}, allowed)];
    const root = join(dir, 'nginx');
    mkdirSync(join(root, 'tmp'), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o777);
    const ports = apps.map((a) => Number(new URL(a.url).port));
    writeFileSync(join(root, 'nginx.conf'), nginxConfig(root, listen, ports));
    let nginx: ChildProcess | undefined;
    let nginxLog = '';
    try {
      nginx = spawn(NGINX, ['-p', root, '-e', join(root, 'error.log'), '-c', join(root, 'nginx.conf')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      nginx.stderr!.on('data', (c: Buffer) => (nginxLog += c.toString()));
      await waitForPort(listen).catch((error: Error) => {
        throw new Error(`${error.message}: ${nginxLog}`);
      });

      const client = await httpClient(`http://127.0.0.1:${listen}/mcp`);
      const ids: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < 200) {
          const i = next++;
          const r = await exec(client, {
            language: 'wat',
            code: WAT_ID,
            entry: 'id',
            context: { input: [i] },
          });
          expect(r.value).toBe(i);
          ids.push(r.execution_id);
        }
      };
      await Promise.all(Array.from({ length: 10 }, worker));
      await client.close();
      expect(new Set(ids).size).toBe(200);

      // Both instances served calls: ask each directly for its own tool counts.
      for (const app of apps) {
        const direct = await httpClient(app.url);
        const metrics = (await direct.callTool({ name: 'get_metrics', arguments: {} })).structuredContent as {
          tools: Record<string, { calls: number }>;
        };
        expect(metrics.tools.execute_agent_code?.calls ?? 0).toBeGreaterThan(20);
        await direct.close();
      }
      const store = await MemoryStore.open({ url: `file:${db}` });
      try {
        expect(await store.executions.count(ids)).toBe(200);
      } finally {
        await store.close();
      }

      // A JavaScript session through round-robin: consecutive calls alternate between the two
      // instances, each resuming the state the other saved in the shared database.
      const sessions = await httpClient(`http://127.0.0.1:${listen}/mcp`);
      const session = (await sessions.callTool({ name: 'create_session', arguments: {} }))
        .structuredContent as {
        session_id: string;
      };
      const step = (code: string) =>
        exec(sessions, { language: 'javascript', code, session_id: session.session_id });
      expect((await step('globalThis.n = 0; return n')).value).toBe(0);
      for (let i = 1; i <= 10; i++) expect((await step('return ++n')).value).toBe(i);
      // Calls at once from two clients: each is kept or refused as busy (another instance holds the
      // session), never lost: the counter ends at 10 plus the number kept.
      const other = await httpClient(`http://127.0.0.1:${listen}/mcp`);
      const attempts = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          exec(i % 2 ? other : sessions, {
            language: 'javascript',
            code: 'return ++n',
            session_id: session.session_id,
          }),
        ),
      );
      const kept = attempts.filter((a) => a.status === 'fulfilled').length;
      for (const a of attempts)
        if (a.status === 'rejected') expect(String(a.reason)).toMatch(/busy|running another call/);
      expect(kept).toBeGreaterThan(0);
      expect((await step('return n')).value).toBe(10 + kept);
      await other.close();
      await sessions.close();
    } finally {
      nginx?.kill('SIGTERM');
      await Promise.all(apps.map((a) => a.stop()));
    }
  });
});
