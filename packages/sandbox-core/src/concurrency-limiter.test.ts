import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { CancelledError } from './errors/cancelled-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { QueueFullError } from './errors/queue-full-error.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimiter', () => {
  it('never runs more than maxConcurrency at once and keeps FIFO order', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 3, maxQueue: 100 });
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await tick();
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(limiter.inFlight).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  it('rejects with a typed QueueFullError once the queue is full', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1, maxQueue: 2 });
    const first = await limiter.acquire();
    const waiting = [limiter.acquire(), limiter.acquire()];
    const error = await limiter.acquire().catch((e: unknown) => e);
    expect(QueueFullError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ name: 'QueueFullError', limit: 2, inFlight: 1 });
    first();
    (await waiting[0]!)();
    (await waiting[1]!)();
    expect(limiter.inFlight).toBe(0);
  });

  it('honors AbortSignal while queued and frees the queue slot', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1, maxQueue: 1 });
    const release = await limiter.acquire();
    const controller = new AbortController();
    const queued = limiter.acquire(controller.signal);
    expect(limiter.queued).toBe(1);
    controller.abort(new Error('user gave up'));
    const error = await queued.catch((e: unknown) => e);
    expect(CancelledError.isInstance(error)).toBe(true);
    expect(limiter.queued).toBe(0);
    // the freed slot is usable, and the aborted waiter never receives the lock
    const next = limiter.acquire();
    release();
    (await next)();
    expect(limiter.inFlight).toBe(0);
  });

  it('rejects at once for an already aborted signal', async () => {
    const limiter = new ConcurrencyLimiter();
    await expect(limiter.acquire(AbortSignal.abort())).rejects.toMatchObject({ name: 'CancelledError' });
    expect(limiter.inFlight).toBe(0);
  });

  it('release is idempotent', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 2 });
    const release = await limiter.acquire();
    release();
    release();
    expect(limiter.inFlight).toBe(0);
  });

  it('validates its options', () => {
    expect(() => new ConcurrencyLimiter({ maxConcurrency: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ConcurrencyLimiter({ maxQueue: -1 })).toThrow(InvalidArgumentError);
  });
});
