import { PAGE_BYTES } from '@memory-mcp/wasm-binary';

/** All a wasm32 memory can address: 4 GiB. */
const WASM32_MAX_PAGES = 65_536;

/**
 * Pages a memory may have under `memoryBytes`, rounded down: under 64 KiB that is none, so a
 * module with a memory is refused (`memory_limit`) rather than given a page past its cap; at most
 * 65,536, so a cap above 4 GiB means no cap below what wasm32 allows.
 */
export function capPagesFor(memoryBytes: number): number {
  return Math.min(WASM32_MAX_PAGES, Math.floor(memoryBytes / PAGE_BYTES));
}
