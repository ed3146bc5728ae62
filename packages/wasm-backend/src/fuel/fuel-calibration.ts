/**
 * Default fuel granted per second of `timeoutMs`, calibrated on the reference machine (2-core
 * linux-x64, Node 20) with `pnpm bench`: the instrumented tight loop burns fuel at the rate in the
 * package README, and this default is set well below it so that the fuel budget, not the wall
 * clock, stops a runaway loop under normal load. The seed design used 1,000,000 per second.
 */
export const DEFAULT_FUEL_PER_SECOND = 200_000_000;
