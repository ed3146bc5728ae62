// The executor inside the process jail: untrusted bytes are parsed, compiled and run by a process
// that has its own namespaces, no host paths but Node and its code, uid 65534 and kernel limits.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemLibraryDir } from '../src/executor/jailed-executor.js';
import { jailedExecutor, WasmBackend } from '../src/index.js';

let backend: WasmBackend;
beforeAll(() => {
  backend = new WasmBackend({ executors: 1, maxConcurrency: 4, spawnExecutor: jailedExecutor() });
});
afterAll(async () => {
  await backend.close();
});

/** Every process below `pid` on the host (bwrap, its init, the executor). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const child of children ? children.split(' ').map(Number) : [])
      out.push(child, ...descendants(child));
  }
  return out;
}

function status(pid: number): { uid: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(text)![1]) };
}

describe('the executor in the process jail', () => {
  it('executors boot one after another: the first serves requests, whenStarted() settles when all are up', async () => {
    const fresh = new WasmBackend({ executors: 2, spawnExecutor: jailedExecutor() });
    try {
      // the first executor boots alone; a request meanwhile waits for it, not for both
      expect(fresh.stats().executors).toBe(1);
      const early = await fresh.execute({ language: 'wat', code: '(module (func (export "_start")))' });
      expect(early.status).toBe('ok');
      await fresh.whenStarted();
      expect(fresh.stats().executors).toBe(2);
      expect(fresh.executorPids()).toHaveLength(2);
      const runs = await Promise.all(
        Array.from({ length: 8 }, () =>
          fresh.execute({
            language: 'wat',
            code: '(module (func (export "f") (result i32) i32.const 7))',
            entry: 'f',
          }),
        ),
      );
      expect(runs.map((r) => r.value)).toEqual(new Array(8).fill(7));
      expect(fresh.stats().executorRestarts).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it("binds the libc folder Node links, found in this process's maps as ldd finds it", () => {
    const listing = execFileSync('ldd', [process.execPath], { encoding: 'utf8' });
    const libc = /\s(\/\S+\/libc\.so\.\d+)\s/.exec(listing)![1]!;
    expect(systemLibraryDir()).toBe(dirname(realpathSync(libc)));
  });

  it('runs modules, and the executor process is uid 65534 in namespaces of its own', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: '(module (func (export "f") (result i32) i32.const 42))',
      entry: 'f',
    });
    expect(result).toMatchObject({ status: 'ok', value: 42 });
    const [jail] = backend.executorPids();
    expect(jail).toBeTypeOf('number');
    // Node 24 names its main thread `MainThread`: find the executor by its command line.
    const node = descendants(jail!).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('wasm-executor'),
    );
    expect(node, 'a node process inside the jail').toBeTypeOf('number');
    expect(status(node!).uid).toBe(65534);
    for (const ns of ['mnt', 'net', 'pid', 'user', 'ipc', 'uts']) {
      expect(readlinkSync(`/proc/${node}/ns/${ns}`), ns).not.toBe(readlinkSync(`/proc/self/ns/${ns}`));
    }
  });

  it('a SIGKILL of the jailed executor ends its run as an error, and a fresh jail takes over', async () => {
    const sleeper = backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") (loop $l (br $l))))',
      limits: { timeoutMs: 60_000, fuel: 1e15 },
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [jail] = backend.executorPids();
    process.kill(jail!, 'SIGKILL');
    const crashed = await sleeper;
    expect(crashed.status).toBe('error');
    expect(crashed.error?.kind).toBe('executor_crash');
    const next = await backend.execute({
      language: 'wat',
      code: '(module (func (export "f") (result i32) i32.const 7))',
      entry: 'f',
    });
    expect(next).toMatchObject({ status: 'ok', value: 7 });
    expect(backend.executorPids()[0]).not.toBe(jail);
  });
});
