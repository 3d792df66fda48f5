// Waiting on another request's work inside workerd.
/**
 * workerd cancels a request as hung ("your Worker's code had hung") when it waits on a promise only another request
 * can resolve and has no I/O of its own pending: a timer, renewed until the promise settles, is that I/O.
 */
export async function awaitWithTimer(promise: Promise<void>): Promise<void> {
  let settled = false;
  const done = promise.finally(() => {
    settled = true;
  });
  while (!settled) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    if (timer !== undefined) clearTimeout(timer);
  }
  await done;
}

/**
 * A short pause of this request's own: the I/O waiting behind the current task runs first, e.g. the answer of the
 * request whose turn just ended is written out (through every local proxy Worker in between) before the next request's
 * model work holds the thread. One zero-delay timer was not enough under wrangler 4.164's local runtime (answers of a
 * burst still left together at its end); 20 ms was, in 2 of 2 runs of the reliability suite's burst.
 */
export function yieldToEventLoop(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
