import type { Address } from "viem";

/**
 * Runs async sections one at a time, in call order. Each write picks its account's next pending nonce and then
 * sends; two of those interleaved on one account would pick the same nonce. Holding one lock over "pick nonce, send"
 * keeps them apart.
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

/**
 * One lock per signing account. Each relayer job (commits, metric reports, settlements) may have its own key, and
 * then sends unhindered by the others; jobs configured with the same key (one key is the local default) get the
 * same lock, because they share that account's nonce sequence.
 */
export type SendLocks = (account: Address) => SendLock;

export function createSendLocks(): SendLocks {
  const locks = new Map<string, SendLock>();
  return (account) => {
    const key = account.toLowerCase();
    let lock = locks.get(key);
    if (lock === undefined) locks.set(key, (lock = createSendLock()));
    return lock;
  };
}
