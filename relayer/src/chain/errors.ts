import { RelayerError } from "../errors.js";

/** A read from the chain failed (RPC down, wrong chain, contract missing). */
export class ChainReadError extends RelayerError {
  constructor(what: string, cause: unknown) {
    super("chain_unavailable", `chain read failed (${what}): ${messageOf(cause, false)}`, { cause });
  }
}

/** A chain write or read kept failing at the RPC level after every retry; the batch stays at its step. */
export class ChainUnavailableError extends RelayerError {
  constructor(operation: string, attempts: number, cause: unknown) {
    super("chain_unavailable", `${operation} failed after ${attempts} attempt(s): ${messageOf(cause)}`, { cause });
  }
}

/** The chain refused a transaction; `errorName` is the decoded custom error (never matched by message text). */
export class ChainRevertError extends RelayerError {
  constructor(
    readonly operation: string,
    readonly errorName: string,
    readonly args: readonly unknown[] = [],
    cause?: unknown,
  ) {
    super("chain_reverted", `${operation} reverted with ${errorName}(${args.map(String).join(", ")})`, { cause });
  }
}

/** A receipt did not arrive in time; the transaction stays recorded and the next cycle checks it again. */
export class ReceiptTimeoutError extends RelayerError {
  constructor(hash: string, timeoutMs: number) {
    super("receipt_timeout", `no receipt for ${hash} after ${timeoutMs} ms; it stays recorded and is checked again`);
  }
}

/** An error's message (its first line only, unless `full`: viem's messages run on for a page). */
export function messageOf(cause: unknown, firstLine = true): string {
  if (!(cause instanceof Error)) return String(cause);
  return firstLine ? (cause.message.split("\n")[0] ?? cause.name) : cause.message;
}
