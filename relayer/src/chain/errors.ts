import { RelayerError } from "../errors.js";

/** A chain write or read kept failing at the RPC level after every retry; the batch stays at its step. */
export class ChainUnavailableError extends RelayerError {
  override name = "ChainUnavailableError";
  constructor(operation: string, attempts: number, cause: unknown) {
    super("chain_unavailable", `${operation} failed after ${attempts} attempt(s): ${messageOf(cause)}`, { status: 503, cause });
  }
}

/** The chain refused a transaction; `errorName` is the decoded custom error (never matched by message text). */
export class ChainRevertError extends RelayerError {
  override name = "ChainRevertError";
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
  override name = "ReceiptTimeoutError";
  constructor(hash: string, timeoutMs: number) {
    super("receipt_timeout", `no receipt for ${hash} after ${timeoutMs} ms; it stays recorded and is checked again`, { status: 503 });
  }
}

/** The first line of an error's message: RPC errors carry pages of detail after it. */
export function messageOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message.split("\n")[0] ?? cause.name;
  return String(cause);
}

