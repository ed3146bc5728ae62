// Runs inside a worker thread: prepares a module, component or script for a run. Everything here
// reads untrusted bytes or source, so it runs where the pool's deadline can terminate it.
import { CompileError, type Compiler, InvalidRequestError } from '@memory-mcp/sandbox-core';
import { prepareComponent } from '../component/component-pipeline.js';
import { moduleCacheKey } from '../engine/module-cache-key.js';
import { prepareModule } from '../engine/module-pipeline.js';
import { FUEL_METERING_VERSION } from '../fuel/fuel-instrumenter.js';
import { sha256 } from '../result-channel/result-channel-registry.js';
import { compileWat } from '../wat-compiler.js';
import type { PreparedLink, PrepareMessage, PrepareReply } from './worker-protocol.js';

/** Hashes of linked modules (a compiler's engine) by identity: the same bytes come back every time. */
const linkHashes = new WeakMap<Uint8Array, string>();

export async function runPrepareJob(
  message: PrepareMessage,
  loadCompiler: () => Promise<Compiler>,
): Promise<PrepareReply> {
  const { id, prepare, capPages, maxTableElements } = message;
  try {
    switch (prepare.kind) {
      case 'wasm':
        return {
          id,
          prepared: {
            kind: 'module',
            module: await prepareModule(prepare.bytes, {
              capPages,
              maxTableElements,
              ...(prepare.linkNames ? { linkNames: prepare.linkNames } : {}),
            }),
          },
        };
      case 'wat': {
        const bytes = await compileWat(prepare.text);
        return {
          id,
          prepared: { kind: 'module', module: await prepareModule(bytes, { capPages, maxTableElements }) },
        };
      }
      case 'component':
        return {
          id,
          prepared: {
            kind: 'component',
            component: await prepareComponent(prepare.bytes, { capPages, maxTableElements }),
          },
        };
      case 'compile': {
        const compiler = await loadCompiler();
        // stored and run later as a module: the bytecode beside it would only double the reply
        const { direct: _, ...compiled } = await compiler.compile(prepare.source, prepare.options);
        return { id, prepared: { kind: 'compiled', compiled } };
      }
      case 'javascript': {
        const compiler = await loadCompiler();
        const compiled = await compiler.compile(prepare.source);
        const linkNames = Object.keys(compiled.imports ?? {});
        const links: PreparedLink[] = [];
        const metered = compiled.metered?.version === FUEL_METERING_VERSION ? compiled.metered.imports : {};
        for (const [name, plain] of Object.entries(compiled.imports ?? {})) {
          // the compiler's engine shipped metered by this very instrumenter: run it as it is
          const premetered = Object.hasOwn(metered, name) ? metered[name] : undefined;
          const bytes = premetered?.bytes ?? plain;
          let hash = linkHashes.get(bytes);
          if (!hash) {
            hash = sha256(bytes);
            linkHashes.set(bytes, hash);
          }
          // metered bytes are never metered again: keep them apart from anything keyed by bytes alone
          const key = `${moduleCacheKey(hash, capPages)}${premetered ? ':premetered' : ''}`;
          links.push(
            prepare.knownLinks.includes(key)
              ? { name, key }
              : {
                  name,
                  key,
                  prepared: await prepareModule(bytes, {
                    capPages,
                    maxTableElements,
                    ...(premetered
                      ? {
                          metered: {
                            hasStart: premetered.hasStart,
                            maxStaticCharge: premetered.maxStaticCharge,
                            ...(premetered.resettable ? { resettable: true } : {}),
                          },
                        }
                      : {}),
                  }),
                },
          );
        }
        // The bytecode runs in place of the module when it names a link of this very compile: no
        // module to validate, meter, compile and instantiate for every new script.
        const direct =
          compiled.direct && linkNames.includes(compiled.direct.link) ? compiled.direct : undefined;
        return {
          id,
          prepared: {
            kind: 'javascript',
            ...(direct
              ? { direct: { link: direct.link, bytecode: direct.bytecode } }
              : { main: await prepareModule(compiled.bytes, { capPages, maxTableElements, linkNames }) }),
            bytesHash: sha256(compiled.bytes),
            engineHash: compiled.engine.hash,
            ...(compiled.resultChannel ? { resultFd: compiled.resultChannel.fd } : {}),
            links,
          },
        };
      }
    }
  } catch (error) {
    if (InvalidRequestError.isInstance(error)) {
      const prefix = `${error.field}: `;
      const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      return { id, invalid: { field: error.field, message: text } };
    }
    if (CompileError.isInstance(error)) return { id, compileError: error.message };
    return { id, failed: error instanceof Error ? error.message : String(error) };
  }
}
