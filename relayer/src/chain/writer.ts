import {
  BaseError,
  ContractFunctionRevertedError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { creatorCoinFactoryAbi, musicNFTAbi } from "./abis.js";
import { ChainRevertError, ChainUnavailableError, ReceiptTimeoutError } from "./errors.js";
import { RelayerError } from "../errors.js";
import type { SendLock } from "./send-lock.js";

/** A transaction as the database records it: enough to find it again, or to resend it in its place. */
export type SentTransaction = { hash: Hex; nonce: number };

/** A log as a receipt carries it. */
export type ReceiptLog = { address: Address; data: Hex; topics: readonly Hex[] };

/** A mined transaction's receipt: what the batcher and settlement read from it (the logs, so no one fetches it twice). */
export type MinedReceipt = { status: "success" | "reverted"; blockNumber: bigint; hash: Hex; gasUsed: bigint; logs: readonly ReceiptLog[] };

function minedReceipt(receipt: { status: "success" | "reverted"; blockNumber: bigint; gasUsed: bigint; logs: readonly ReceiptLog[] }, hash: Hex): MinedReceipt {
  return { status: receipt.status, blockNumber: receipt.blockNumber, hash, gasUsed: receipt.gasUsed, logs: receipt.logs };
}

/**
 * Where a recorded transaction stands. `dropped` means no node knows it any more: `nonceFree` says whether its
 * nonce is still unused (resend with the same nonce) or was consumed by another transaction (send afresh).
 */
export type TransactionState = { kind: "mined"; receipt: MinedReceipt } | { kind: "pending" } | { kind: "dropped"; nonceFree: boolean };

export type ChainWriter = {
  /** The address this writer signs as: the committer's (MusicNFT RELAYER_ROLE) or the reporter's (the factory's). */
  readonly account: Address;
  nextBatchId(): Promise<bigint>;
  batchRoot(batchId: bigint): Promise<Hex>;
  creatorOf(trackId: bigint): Promise<Address>;
  /** `creator`'s committed plays, at `blockNumber` when given (the block of a commit, so later commits do not blur it). */
  creatorPlays(creator: Address, blockNumber?: bigint): Promise<bigint>;
  /** The transaction and block that committed `batchId`, from its PlaysCommitted log; undefined if none. */
  findCommit(batchId: bigint): Promise<{ hash: Hex; blockNumber: bigint } | undefined>;
  /**
   * simulate → write; `nonce` given on a resend, else the account's next pending nonce. `replaces` names a transaction
   * stuck with that nonce: the new one outbids it (see replacementFees). Reverts: `ChainRevertError`.
   */
  commitPlays(args: { batchId: bigint; root: Hex; cid: string; deltas: Hex } & Resend): Promise<SentTransaction>;
  /** Reports `creator`'s committed plays, followers and revenue (USDC units) from the snapshot `cid`. */
  updateCreatorMetrics(args: { creator: Address; plays: bigint; followers: bigint; revenue: bigint; cid: string } & Resend): Promise<SentTransaction>;
  transactionState(sent: SentTransaction): Promise<TransactionState>;
  /** Waits for the receipt; `ReceiptTimeoutError` after the configured timeout (the transaction stays recorded). */
  waitForReceipt(hash: Hex): Promise<MinedReceipt>;
};

/** How a write is resent: with the nonce it must reuse, and the stuck transaction it replaces, if any. */
export type Resend = { nonce?: number; replaces?: Hex };

/** Nodes refuse a same-nonce replacement that does not raise both fee caps by at least 10 %; this bumps by 12.5 %. */
const FEE_BUMP_PERMILLE = 1125n;

export type ChainWriterRetry = {
  /** Attempts per RPC operation, at least 1. */
  attempts: number;
  /** Wait before retry n is backoffMs × 2^(n−1). */
  backoffMs: number;
};

export type CreateChainWriterParameters = {
  publicClient: PublicClient<Transport, Chain | undefined>;
  walletClient: WalletClient<Transport, Chain, Account>;
  musicNFT: { address: Address; startBlock: number };
  creatorCoinFactory: Address;
  retry?: ChainWriterRetry;
  receiptTimeoutMs?: number;
  /** How often receipts are polled. */
  pollingIntervalMs?: number;
  /** Called on every failed RPC attempt and every revert, for the chain error metric. */
  onError?: (kind: "rpc" | "revert" | "timeout") => void;
  /** Shared with every other writer of the same account (send-lock.ts), so two sends never pick the same pending nonce. */
  sendLock?: SendLock;
};

/**
 * The relayer's chain writes, each one simulate → write with an explicit nonce. The nonce is what makes a retry
 * safe: a resent transaction carries the nonce of the one it replaces, so at most one of them can ever be mined.
 * Every RPC call is retried with exponential backoff; reverts are decoded by error name and never retried.
 */
export function createChainWriter({
  publicClient,
  walletClient,
  musicNFT,
  creatorCoinFactory,
  retry = { attempts: 5, backoffMs: 200 },
  receiptTimeoutMs = 120_000,
  pollingIntervalMs = 1_000,
  onError = () => {},
  sendLock = (run) => run(),
}: CreateChainWriterParameters): ChainWriter {
  const account = walletClient.account;
  const withRetry = <T>(operation: string, run: () => Promise<T>) => withRpcRetry({ operation, retry, run, onError });
  const nft = { address: musicNFT.address, abi: musicNFTAbi } as const;

  /**
   * Fees that replace `hash` in the mempool: its own caps raised 12.5 %, or the network's current estimate when that
   * is higher, and its gas limit. A transaction no node knows any more needs no outbidding: the estimate alone.
   */
  const replacementFees = async (hash: Hex) => {
    const [stuck, estimate] = await Promise.all([
      publicClient.getTransaction({ hash }).catch((error: unknown) => {
        if (error instanceof TransactionNotFoundError) return undefined;
        throw error;
      }),
      publicClient.estimateFeesPerGas(),
    ]);
    const bump = (value: bigint | undefined) => (value === undefined ? 0n : (value * FEE_BUMP_PERMILLE) / 1000n + 1n);
    const max = (a: bigint, b: bigint) => (a > b ? a : b);
    const maxPriorityFeePerGas = max(bump(stuck?.maxPriorityFeePerGas ?? stuck?.gasPrice), estimate.maxPriorityFeePerGas);
    const maxFeePerGas = max(max(bump(stuck?.maxFeePerGas ?? stuck?.gasPrice), estimate.maxFeePerGas), maxPriorityFeePerGas);
    // The same call needs the same gas. Estimating again would run against the pending state, where the stuck
    // transaction has already taken the batch id, and revert.
    return { maxFeePerGas, maxPriorityFeePerGas, ...(stuck === undefined ? {} : { gas: stuck.gas }) };
  };

  const send = async (
    operation: string,
    { nonce, replaces }: Resend,
    simulate: () => Promise<{ request: Parameters<typeof walletClient.writeContract>[0] }>,
  ) => {
    const { request } = await withRetry(operation, async () => {
      try {
        return await simulate();
      } catch (error) {
        throw revertOf(operation, error, onError) ?? error;
      }
    });
    const fees = replaces === undefined ? {} : await withRetry("fees", () => replacementFees(replaces));
    return sendLock(async () => {
      // Chosen once, before the first attempt: every retry of this write reuses it.
      const chosen = nonce ?? (await withRetry("nonce", () => publicClient.getTransactionCount({ address: account.address, blockTag: "pending" })));
      const hash = await withRetry(operation, async () => {
        try {
          return await walletClient.writeContract({ ...request, nonce: chosen, ...fees });
        } catch (error) {
          throw revertOf(operation, error, onError) ?? error;
        }
      });
      return { hash, nonce: chosen };
    });
  };

  return {
    account: account.address,
    nextBatchId: () => withRetry("nextBatchId", () => publicClient.readContract({ ...nft, functionName: "nextBatchId" })),
    batchRoot: (batchId) => withRetry("batchRoot", () => publicClient.readContract({ ...nft, functionName: "batchRoot", args: [batchId] })),
    creatorOf: (trackId) => withRetry("creatorOf", () => publicClient.readContract({ ...nft, functionName: "creatorOf", args: [trackId] })),
    creatorPlays: (creator, blockNumber) =>
      withRetry("creatorPlays", () =>
        publicClient.readContract({ ...nft, functionName: "creatorPlays", args: [creator], ...(blockNumber === undefined ? {} : { blockNumber }) }),
      ),
    async findCommit(batchId) {
      const logs = await withRetry("getLogs", () =>
        publicClient.getContractEvents({
          ...nft,
          eventName: "PlaysCommitted",
          args: { batchId },
          fromBlock: BigInt(musicNFT.startBlock),
          toBlock: "latest",
        }),
      );
      const log = logs[0];
      if (log === undefined || log.transactionHash === null || log.blockNumber === null) return undefined;
      return { hash: log.transactionHash, blockNumber: log.blockNumber };
    },
    commitPlays: ({ batchId, root, cid, deltas, ...resend }) =>
      send("commitPlays", resend, () =>
        publicClient.simulateContract({ ...nft, functionName: "commitPlays", args: [batchId, root, cid, deltas], account }),
      ),
    updateCreatorMetrics: ({ creator, plays, followers, revenue, cid, ...resend }) =>
      send("updateCreatorMetrics", resend, () =>
        publicClient.simulateContract({
          address: creatorCoinFactory,
          abi: creatorCoinFactoryAbi,
          functionName: "updateCreatorMetrics",
          args: [creator, plays, followers, revenue, cid],
          account,
        }),
      ),
    async transactionState({ hash, nonce }) {
      const receipt = await withRetry("getTransactionReceipt", async () => {
        try {
          return await publicClient.getTransactionReceipt({ hash });
        } catch (error) {
          if (error instanceof TransactionReceiptNotFoundError) return undefined;
          throw error;
        }
      });
      if (receipt !== undefined) return { kind: "mined", receipt: minedReceipt(receipt, hash) };
      const known = await withRetry("getTransaction", async () => {
        try {
          await publicClient.getTransaction({ hash });
          return true;
        } catch (error) {
          if (error instanceof TransactionNotFoundError) return false;
          throw error;
        }
      });
      if (known) return { kind: "pending" };
      const mined = await withRetry("nonce", () => publicClient.getTransactionCount({ address: account.address, blockTag: "latest" }));
      return { kind: "dropped", nonceFree: mined <= nonce };
    },
    async waitForReceipt(hash) {
      const receipt = await withRetry("waitForTransactionReceipt", async () => {
        try {
          return await publicClient.waitForTransactionReceipt({ hash, timeout: receiptTimeoutMs, pollingInterval: pollingIntervalMs });
        } catch (error) {
          if (error instanceof WaitForTransactionReceiptTimeoutError) {
            onError("timeout");
            throw new ReceiptTimeoutError(hash, receiptTimeoutMs);
          }
          throw error;
        }
      });
      return minedReceipt(receipt, hash);
    },
  };
}

/** The decoded revert inside a viem error, as a `ChainRevertError`; undefined when the failure is not a revert. */
export function revertOf(operation: string, error: unknown, onError: (kind: "revert") => void): ChainRevertError | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  onError("revert");
  return new ChainRevertError(operation, reverted.data?.errorName ?? reverted.reason ?? "unknown", reverted.data?.args ?? [], error);
}

export type WithRpcRetryParameters<T> = {
  operation: string;
  retry: ChainWriterRetry;
  run: () => Promise<T>;
  onError?: (kind: "rpc") => void;
};

/**
 * Retries RPC failures (a node down, a 5xx, a timeout) with exponential backoff. A `RelayerError` (a decoded
 * revert, a receipt timeout) is an answer, not an outage, and propagates at once. Out of attempts:
 * `ChainUnavailableError` with the last failure as cause.
 */
export async function withRpcRetry<T>({ operation, retry, run, onError = () => {} }: WithRpcRetryParameters<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, retry.backoffMs * 2 ** (attempt - 2)));
    try {
      return await run();
    } catch (error) {
      if (error instanceof RelayerError) throw error;
      onError("rpc");
      last = error;
    }
  }
  throw new ChainUnavailableError(operation, retry.attempts, last);
}
