/**
 * Runs async sections one at a time, in call order. The relayer sends from one account for two jobs (play batches
 * and stream settlements); each write picks the account's next pending nonce and then sends, and two of those
 * interleaved would pick the same nonce. Holding one lock over "pick nonce, send" keeps them apart.
 */
export type SendLock = <T>(run: () => Promise<T>) => Promise<T>;

/** A fresh lock; share one instance between every writer that signs with the same account. */
export function createSendLock(): SendLock {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(run: () => Promise<T>): Promise<T> => {
    const result = tail.then(run, run);
    tail = result.catch(() => {});
    return result;
  };
}
