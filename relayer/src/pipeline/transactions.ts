import { ReceiptTimeoutError } from "../chain/errors.js";
import type { ChainWriter, MinedReceipt, Resend, SentTransaction } from "../chain/writer.js";

export type DriveTransactionHooks = {
  /** Whether the goal was reached another way (the batch is on chain already); it then records that itself. */
  done?: () => Promise<boolean>;
  /** Sends the same write again, with the nonce (and the transaction it replaces) given. */
  resend: (resend: Resend) => Promise<SentTransaction>;
  /** Records a resent transaction before anything waits on it. */
  record: (sent: SentTransaction) => Promise<void>;
  /**
   * A transaction still pending when the receipt wait times out: "outbid" replaces it with the same nonce (fees raised
   * 12.5 %), "throw" rethrows the timeout and leaves it recorded for the next cycle.
   */
  onTimeout: "outbid" | "throw";
  /** The error when no send succeeded after every round. */
  exhausted: (hash: SentTransaction["hash"], rounds: number) => Error;
};

const SEND_ROUNDS = 3;

/**
 * Waits for a recorded transaction; when it was dropped or reverted, resends — with its own nonce while that is
 * unused, so the two can never both be mined — and records the replacement before waiting again. The confirm step of
 * every pipeline (batch commits, milestone reports, voucher settlements) goes through here.
 * `writer` is the one whose account sent it: a dropped transaction's nonce is that account's.
 * Returns the successful receipt, or undefined when `done` says the goal was reached otherwise.
 */
export async function driveTransaction(
  writer: Pick<ChainWriter, "transactionState" | "waitForReceipt">,
  recorded: SentTransaction,
  hooks: DriveTransactionHooks,
): Promise<MinedReceipt | undefined> {
  let current = recorded;
  for (let round = 0; round < SEND_ROUNDS; round++) {
    const state = await writer.transactionState(current);
    let receipt: MinedReceipt | undefined;
    if (state.kind === "mined") receipt = state.receipt;
    else if (state.kind === "pending") {
      receipt = await writer.waitForReceipt(current.hash).catch((error: unknown) => {
        if (hooks.onTimeout === "outbid" && error instanceof ReceiptTimeoutError) return undefined;
        throw error;
      });
      if (receipt === undefined) {
        current = await hooks.resend({ nonce: current.nonce, replaces: current.hash });
        await hooks.record(current);
        continue;
      }
    }
    if (receipt?.status === "success") return receipt;
    if (await hooks.done?.()) return undefined;
    // Dropped with its nonce unused: same nonce. Reverted, or its nonce taken: the nonce is spent, take a fresh one.
    current = await hooks.resend(state.kind === "dropped" && state.nonceFree ? { nonce: current.nonce } : {});
    await hooks.record(current);
  }
  throw hooks.exhausted(current.hash, SEND_ROUNDS);
}
