import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Sends MCP progress notifications while an execution runs, when the client asked for them. */
export function startProgress(extra: Extra, intervalMs: number): (done: boolean) => Promise<void> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return async () => {};
  const started = performance.now();
  // Notifications go out one after another: progress must only increase, and "finished" must be
  // the last one the client sees, before the result.
  let queue: Promise<void> = Promise.resolve();
  let last = -1;
  const send = (message: string, total?: boolean) => {
    queue = queue.then(async () => {
      const progress = Math.max(last + 1, Math.round(performance.now() - started));
      last = progress;
      await extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress, message, ...(total ? { total: progress } : {}) },
        })
        .catch(() => {});
    });
    return queue;
  };
  void send('started');
  const timer = setInterval(
    () => void send(`running for ${Math.round(performance.now() - started)} ms`),
    intervalMs,
  );
  return async () => {
    clearInterval(timer);
    if (!extra.signal.aborted) await send('finished', true);
    else await queue;
  };
}
