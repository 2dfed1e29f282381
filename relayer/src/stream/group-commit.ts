export type GroupCommit<Item, Result> = {
  /** Queues `item`; resolves with its result once the statement that carried it has committed. */
  submit(item: Item): Promise<Result>;
  /** Resolves once everything queued so far is written. */
  drain(): Promise<void>;
};

export type CreateGroupCommitParameters<Item, Result> = {
  /** Writes `items` in one statement and returns one result per item, in order. */
  write(items: Item[]): Promise<Result[]>;
  /** Most items per statement. */
  maxItems?: number;
  /**
   * Least time between the starts of two statements while items keep coming (ms, default 0). A statement has a
   * fixed cost whatever it carries; under load this gathers more items into each. An idle system still writes a
   * lone item at once.
   */
  minIntervalMs?: number;
};

/**
 * Group commit: while one statement is being written, everything that arrives waits and goes out together in the
 * next one. An idle system writes each item at once; a busy one writes one multi-row statement per round trip, so
 * the statement rate stays flat however many sessions send vouchers.
 *
 * Each statement waits for one pass of the event loop (setImmediate) before it takes the queue: without that pass
 * every statement would carry the one item that started it. After the pass, everything the sockets delivered meanwhile
 * goes out together; an idle process pays only the pass itself.
 */
export function createGroupCommit<Item, Result>({ write, maxItems = 5_000, minIntervalMs = 0 }: CreateGroupCommitParameters<Item, Result>): GroupCommit<Item, Result> {
  type Waiter = { item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void };
  let queue: Waiter[] = [];
  let running: Promise<void> | undefined;

  const pump = async (): Promise<void> => {
    await nextTurn();
    while (queue.length > 0) {
      const batch = queue.slice(0, maxItems);
      queue = queue.slice(batch.length);
      const startedAt = performance.now();
      try {
        const results = await write(batch.map((waiter) => waiter.item));
        batch.forEach((waiter, index) => waiter.resolve(results[index] as Result));
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
      const wait = minIntervalMs - (performance.now() - startedAt);
      if (wait > 1 && queue.length < maxItems) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
      else await nextTurn();
    }
  };

  const start = () => {
    running ??= pump().finally(() => {
      running = undefined;
      // Items queued after the loop's last check but before `running` cleared.
      if (queue.length > 0) start();
    });
    return running;
  };

  return {
    submit(item) {
      const result = new Promise<Result>((resolve, reject) => queue.push({ item, resolve, reject }));
      void start();
      return result;
    },
    async drain() {
      while (running !== undefined) await running;
    },
  };
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
