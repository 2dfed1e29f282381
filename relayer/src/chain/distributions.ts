import { decodeEventLog, getAbiItem, type Account, type Address, type Chain, type PublicClient, type Transport, type WalletClient } from "viem";
import { lowerHex } from "../crypto/hex.js";
import { vaultAbi } from "./abis.js";
import { withGasMargin } from "./gas.js";
import type { SendLock } from "./send-lock.js";
import { revertOf, withRpcRetry, type ChainWriter, type ChainWriterRetry, type MinedReceipt, type SentTransaction } from "./writer.js";

/** A creator's holder revenue as the vault holds it. */
export type HolderPool = {
  /** Holder revenue accrued and not yet distributed (USDC units). */
  accrued: bigint;
  /** The first period it may be distributed in (0: never distributed). */
  nextPeriod: bigint;
  /** The holder share in force (basis points). */
  shareBps: number;
};

/** One `HolderRevenueDistributed` event. */
export type DistributedEvent = { creator: Address; coin: Address; period: bigint; amount: bigint; hash: `0x${string}` | undefined; blockNumber: bigint | undefined };

/** What the distribution pipeline needs of the vault: its clock, each creator's pool, and `distributeHolderRevenue`. */
export type HolderDistributionChain = Pick<ChainWriter, "transactionState" | "waitForReceipt"> & {
  readonly account: Address;
  /** DISTRIBUTION_PERIOD (seconds), immutable. */
  periodSeconds(): Promise<bigint>;
  currentPeriod(): Promise<bigint>;
  pool(creator: Address): Promise<HolderPool>;
  /** Every creator that ever set a holder share (HolderShareSet logs since the vault's deployment block). */
  creatorsWithShare(): Promise<Address[]>;
  /** Sends `distributeHolderRevenue(creator)`; `nonce` on a resend. Reverts: `ChainRevertError` decoded by name. */
  distribute(args: { creator: Address; nonce?: number | undefined }): Promise<SentTransaction>;
  /** The distribution of `creator` in `period` as the chain recorded it, whoever called; undefined when none. */
  findDistribution(creator: Address, period: bigint): Promise<DistributedEvent | undefined>;
  /** The `HolderRevenueDistributed` event a mined receipt of ours carries. */
  distributedIn(receipt: MinedReceipt): DistributedEvent | undefined;
};

export type CreateHolderDistributionChainParameters = {
  publicClient: PublicClient<Transport, Chain | undefined>;
  walletClient: WalletClient<Transport, Chain, Account>;
  vault: { address: Address; startBlock: number };
  /** A chain writer of the same account: its receipt and transaction-state handling is reused. */
  chainWriter: Pick<ChainWriter, "transactionState" | "waitForReceipt">;
  /** The account's nonce lock (send-lock.ts), shared with its other jobs. */
  sendLock: SendLock;
  retry?: ChainWriterRetry;
  onError?: (kind: "rpc" | "revert" | "timeout") => void;
};

const SHARE_SET = getAbiItem({ abi: vaultAbi, name: "HolderShareSet" });
const DISTRIBUTED = getAbiItem({ abi: vaultAbi, name: "HolderRevenueDistributed" });

/**
 * `BeatStreamVault.distributeHolderRevenue` is permissionless: it is sent with whichever key the relayer gives it (the
 * settler's, which already talks to the vault), and simulated first so that a refusal (too early, nothing accrued)
 * comes back as a decoded error without a transaction.
 */
export function createHolderDistributionChain({ publicClient, walletClient, vault, chainWriter, sendLock, retry = { attempts: 5, backoffMs: 200 }, onError = () => {} }: CreateHolderDistributionChainParameters): HolderDistributionChain {
  const account = walletClient.account;
  const contract = { address: vault.address, abi: vaultAbi } as const;
  const withRetry = <T>(operation: string, run: () => Promise<T>) => withRpcRetry({ operation, retry, run, onError });
  let period: Promise<bigint> | undefined;
  const fromBlock = BigInt(vault.startBlock);
  return {
    account: account.address,
    transactionState: (sent) => chainWriter.transactionState(sent),
    waitForReceipt: (hash) => chainWriter.waitForReceipt(hash),
    periodSeconds() {
      period ??= withRetry("DISTRIBUTION_PERIOD", () => publicClient.readContract({ ...contract, functionName: "DISTRIBUTION_PERIOD" }));
      return period;
    },
    currentPeriod: () => withRetry("currentDistributionPeriod", () => publicClient.readContract({ ...contract, functionName: "currentDistributionPeriod" })),
    async pool(creator) {
      const [accrued, nextPeriod, shareBps] = await Promise.all([
        withRetry("holderRevenueOf", () => publicClient.readContract({ ...contract, functionName: "holderRevenueOf", args: [creator] })),
        withRetry("nextDistributionPeriod", () => publicClient.readContract({ ...contract, functionName: "nextDistributionPeriod", args: [creator] })),
        withRetry("holderShareOf", () => publicClient.readContract({ ...contract, functionName: "holderShareOf", args: [creator] })),
      ]);
      return { accrued, nextPeriod, shareBps: Number(shareBps) };
    },
    async creatorsWithShare() {
      const logs = await withRetry("HolderShareSet logs", () => publicClient.getLogs({ address: vault.address, event: SHARE_SET, fromBlock, toBlock: "latest" }));
      const creators = new Set<Address>();
      for (const log of logs) if (log.args.creator !== undefined) creators.add(lowerHex(log.args.creator));
      return [...creators].sort();
    },
    async distribute({ creator, nonce }) {
      return sendLock(async () => {
        const { request } = await withRetry("distributeHolderRevenue", async () => {
          try {
            return await publicClient.simulateContract({ ...contract, functionName: "distributeHolderRevenue", args: [creator], account });
          } catch (error) {
            throw revertOf("distributeHolderRevenue", error, onError) ?? error;
          }
        });
        const chosen = nonce ?? (await withRetry("nonce", () => publicClient.getTransactionCount({ address: account.address, blockTag: "pending" })));
        const hash = await withRetry("distributeHolderRevenue", async () => {
          try {
            // Fans trade the coin while this waits to be mined, which can make the call dearer than its estimate (gas.ts).
            const gas = withGasMargin(await publicClient.estimateContractGas({ ...request, account }));
            return await walletClient.writeContract({ ...request, chain: walletClient.chain, nonce: chosen, gas });
          } catch (error) {
            throw revertOf("distributeHolderRevenue", error, onError) ?? error;
          }
        });
        return { hash, nonce: chosen };
      });
    },
    async findDistribution(creator, wanted) {
      const logs = await withRetry("HolderRevenueDistributed logs", () =>
        publicClient.getLogs({ address: vault.address, event: DISTRIBUTED, args: { creator, period: wanted }, fromBlock, toBlock: "latest" }),
      );
      const log = logs[0];
      if (log === undefined || log.args.coin === undefined || log.args.amount === undefined) return undefined;
      return { creator: lowerHex(creator), coin: lowerHex(log.args.coin), period: wanted, amount: log.args.amount, hash: log.transactionHash ?? undefined, blockNumber: log.blockNumber ?? undefined };
    },
    distributedIn(receipt) {
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== vault.address.toLowerCase()) continue;
        try {
          const event = decodeEventLog({ abi: [DISTRIBUTED], data: log.data, topics: log.topics as [`0x${string}`, ...`0x${string}`[]] });
          return { creator: lowerHex(event.args.creator), coin: lowerHex(event.args.coin), period: event.args.period, amount: event.args.amount, hash: receipt.hash, blockNumber: receipt.blockNumber };
        } catch {
          // Another event of the vault's (none today: the coin emits the deposit).
        }
      }
      return undefined;
    },
  };
}
