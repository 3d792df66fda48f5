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
