// A bounded memo for the header-value parsers. The same To/From/Via/Contact/Request-URI text is
// parsed by the request gate, the transaction key, the handler and the response builder; on the
// inline path that is one parse instead of three, and one set of param Maps instead of three
// (allocation was the largest item of the REGISTER profile after the send itself).
// Results are shared: callers must treat them as read-only (none mutates them).
export function memoize<T>(parse: (s: string) => T, capacity = 1024): (s: string) => T {
  let cache = new Map<string, T>();
  return (s: string): T => {
    const hit = cache.get(s);
    if (hit !== undefined) return hit;
    const value = parse(s);
    // Dropping the whole map is cheaper than LRU bookkeeping and keeps the memory bounded.
    if (cache.size >= capacity) cache = new Map();
    cache.set(s, value);
    return value;
  };
}
