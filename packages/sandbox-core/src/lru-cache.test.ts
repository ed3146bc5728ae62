import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry past the entry bound', () => {
    const cache = new LruCache<string>(1000, 2);
    cache.set('a', 'A', 1);
    cache.set('b', 'B', 1);
    expect(cache.get('a')).toBe('A'); // a is now the most recent
    cache.set('c', 'C', 1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
    expect(cache).toMatchObject({ hits: 3, misses: 1, size: 2 });
  });

  it('keeps the byte total under budget and refuses an entry larger than it', () => {
    const cache = new LruCache<string>(10);
    cache.set('a', 'A', 6);
    cache.set('b', 'B', 6);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.totalBytes).toBe(6);
    cache.set('huge', 'H', 11);
    expect(cache.get('huge')).toBeUndefined();
    cache.set('b', 'B2', 4); // replacing an entry re-accounts its bytes
    expect(cache.totalBytes).toBe(4);
  });
});
