// A function's results kept by key, at most `max` of them (the first made is dropped first): for plans and tables of
// the sizes in use, which callers read and never write.
export function boundedMemo<A extends unknown[], T>(max: number, keyOf: (...args: A) => string, make: (...args: A) => T): (...args: A) => T {
  const kept = new Map<string, T>();
  return (...args: A): T => {
    const key = keyOf(...args);
    let value = kept.get(key);
    if (value === undefined) {
      value = make(...args);
      if (kept.size >= max) kept.delete(kept.keys().next().value!);
      kept.set(key, value);
    }
    return value;
  };
}
