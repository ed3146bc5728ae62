/**
 * Default fuel granted per second of `timeoutMs`: 250,000,000 (the seed design used 1,000,000).
 *
 * Calibrated with `pnpm bench` on the reference machine (2-core linux-x64, Node 20.20). The
 * slowest burn is a runaway empty loop in a freshly compiled module: V8 has no on-stack
 * replacement for wasm, so a loop that never returns stays in the baseline tier, burning about
 * 829 M units/s (optimized code burns 2,400 M/s for call-heavy code and 34,000 M/s for tight
 * loops). At 250 M/s such a loop exhausts its fuel at about a third of its deadline, so fuel,
 * which is deterministic, stops it before the clock does, with room for a loaded machine. At the
 * seed's 1 M/s a 5 s budget would buy under 3 ms of the slowest case.
 */
export { DEFAULT_FUEL_PER_SECOND } from '@memory-mcp/sandbox-core';
