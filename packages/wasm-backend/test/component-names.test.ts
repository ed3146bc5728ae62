// Components whose names carry JavaScript: jco pastes core names into the glue it generates, so a
// name must be refused before transpiling, and the payload must never run.
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { afterAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';

const backend = new WasmBackend({ maxConcurrency: 1 });
afterAll(() => backend.close());

const ISSUE_NAME = "x'];throw new Error(process.getBuiltinModule('child_process').execSync('id')+'');//";
const marker = join(tmpdir(), `memory-mcp-component-escape-${process.pid}`);
const MARKER_NAME = `x'];process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)},'pwned');//`;

/** A wasi:cli/run command whose run function is lifted from a core export called `name`. */
const coreExportAttack = (name: string) =>
  parse(`(component
    (core module $m (func (export ${JSON.stringify(name)}) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m))
    (func $run (result (result)) (canon lift (core func $i ${JSON.stringify(name)})))
    (instance $r (export "run" (func $run)))
    (export "wasi:cli/run@0.2.0" (instance $r)))`);

/** The same, with the name on a core instance built from inline exports and passed as an argument. */
const instanceArgumentAttack = (name: string) =>
  parse(`(component
    (core module $lib (func (export "f") (result i32) (i32.const 0)))
    (core instance $l (instantiate $lib))
    (core module $m (import ${JSON.stringify(name)} "f" (func $f (result i32))) (func (export "run") (result i32) (call $f)))
    (core instance $i (instantiate $m (with ${JSON.stringify(name)} (instance (export "f" (func $l "f"))))))
    (func $run (result (result)) (canon lift (core func $i "run")))
    (instance $r (export "run" (func $run)))
    (export "wasi:cli/run@0.2.0" (instance $r)))`);

const refused = async (bytes: Uint8Array) => {
  const error = await backend.execute({ language: 'wasm', code: bytes }).catch((e: unknown) => e);
  expect(InvalidRequestError.isInstance(error)).toBe(true);
  expect((error as InvalidRequestError).field).toBe('code');
  return error as InvalidRequestError;
};

describe('component names are checked before transpiling', () => {
  it("the issue's core export name is a real escape through jco's glue", async () => {
    // Proves the attack is live: without the check, this text is JavaScript in the glue.
    const options = { name: 'component', noTypescript: true } as Parameters<typeof transpileBytes>[1];
    const out = await transpileBytes(await coreExportAttack(ISSUE_NAME), options);
    const js = new TextDecoder().decode((out.files as Record<string, Uint8Array>)['component.js']);
    expect(js).toContain("exports0['x'];throw new Error(process.getBuiltinModule('child_process')");
  });

  it("the issue's export name is refused with InvalidRequestError", async () => {
    const error = await refused(await coreExportAttack(ISSUE_NAME));
    expect(error.message).toMatch(/core export name/);
  });

  it('a payload that would write a file is refused and never runs', async () => {
    rmSync(marker, { force: true });
    await refused(await coreExportAttack(MARKER_NAME));
    await refused(await instanceArgumentAttack(MARKER_NAME));
    expect(existsSync(marker)).toBe(false);
  });

  it('the same component with plain names runs', async () => {
    const result = await backend.execute({ language: 'wasm', code: await coreExportAttack('run') });
    expect(result.status).toBe('ok');
    const linked = await backend.execute({ language: 'wasm', code: await instanceArgumentAttack('lib') });
    expect(linked.status).toBe('ok');
  });

  it('a core module the fuel meter cannot read is a typed error, not UnknownOpcodeError', async () => {
    // i32.atomic.load validates (shared memory) but is not metered: it must be refused, typed.
    const bytes = await parse(`(component
      (core module $m (memory 1 1 shared)
        (func (export "run") (result i32) (i32.atomic.load (i32.const 0))))
      (core instance $i (instantiate $m))
      (func $run (result (result)) (canon lift (core func $i "run")))
      (instance $r (export "run" (func $run)))
      (export "wasi:cli/run@0.2.0" (instance $r)))`);
    const error = await refused(bytes);
    expect(error.message).toMatch(/cannot meter fuel/);
  });
});
