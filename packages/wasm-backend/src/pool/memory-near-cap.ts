/**
 * True when a memory of `bytes` is at its cap for practical purposes: within the larger of 1 MiB
 * and a sixteenth of the cap. Allocators grow in large steps, so a failed allocation can leave
 * memory that far below the cap; the margin is a fraction so small caps are judged fairly too.
 */
export function memoryNearCap(bytes: number | undefined, capBytes: number): boolean {
  if (bytes === undefined) return false;
  const margin = Math.max(1024 * 1024, capBytes / 16);
  return bytes > capBytes - margin;
}
