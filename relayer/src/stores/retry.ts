import { EvidenceError } from "../errors.js";
import { StoreTimeoutError, StoreUnavailableError } from "./errors.js";

export interface WithTimeoutParameters<T> {
  operation: string;
  timeoutMs: number;
  /** Receives a signal that aborts at the deadline, for calls that can be cancelled (fetch). */
  run: (signal: AbortSignal) => Promise<T>;
}

/**
 * Runs `run` with a deadline: `StoreTimeoutError` when it passes. Calls that ignore the signal (the Lighthouse
 * SDK's upload has no way to pass one) are abandoned rather than cancelled; their late result is ignored.
 */
export async function withTimeout<T>({ operation, timeoutMs, run }: WithTimeoutParameters<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new StoreTimeoutError(operation, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RetryParameters<T> {
  operation: string;
  /** Total attempts, at least 1. */
  attempts: number;
  /** Wait before retry n (1-based) is backoffMs × 2^(n−1). */
  backoffMs: number;
  run: (attempt: number) => Promise<T>;
  /** Failures that retrying cannot fix (a refused CID, a 404) propagate at once. Default: every EvidenceError but a timeout. */
  isPermanent?: (error: unknown) => boolean;
}

/** Retries transient failures with exponential backoff; `StoreUnavailableError` (cause: the last failure) when out of attempts. */
export async function retry<T>({ operation, attempts, backoffMs, run, isPermanent = isPermanentByDefault }: RetryParameters<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
    try {
      return await run(attempt);
    } catch (error) {
      if (isPermanent(error)) throw error;
      last = error;
    }
  }
  throw new StoreUnavailableError(operation, attempts, last);
}

function isPermanentByDefault(error: unknown): boolean {
  return error instanceof EvidenceError && !(error instanceof StoreTimeoutError) && error.code !== "store_bad_response";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
