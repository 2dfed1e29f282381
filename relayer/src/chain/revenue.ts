import { getAbiItem, type Address, type PublicClient } from "viem";
import { lowerHex } from "../crypto/hex.js";
import { creatorCoinAbi, creatorCoinFactoryAbi, vaultAbi } from "./abis.js";
import { withRpcRetry, type ChainWriterRetry } from "./writer.js";

/**
 * A creator's revenue as the milestones count it (docs/engagement.md, "Evidence"): USDC the vault settled to the
 * creator (StreamSettled.amount, artist = creator) plus USDC deposited to the creator's coin (RevenueDeposited on a
 * coin the factory launched, by any route: RevenueDistributor.deposit, a direct deposit, the DEX's holder fees), except
 * the vault's own holder distributions, which move streaming revenue StreamSettled already counted.
 */
export type RevenueReader = {
  /** The first block to scan when nothing was scanned yet: the deployment's. */
  readonly startBlock: bigint;
  /** Revenue per creator (lowercase address) from the events of blocks `fromBlock`..`toBlock`, both included. */
  revenueBetween(fromBlock: bigint, toBlock: bigint): Promise<Map<Address, bigint>>;
};

export type CreateRevenueReaderParameters = {
  publicClient: Pick<PublicClient, "getContractEvents" | "getLogs" | "readContract">;
  /** Absent: no streaming revenue (the deployment has no vault). */
  vault?: Address | undefined;
  creatorCoinFactory: Address;
  startBlock: bigint;
  retry?: ChainWriterRetry;
};

const revenueDeposited = getAbiItem({ abi: creatorCoinAbi, name: "RevenueDeposited" });

/**
 * Reads revenue events over a block range. Deposits are found by their event signature on any address, then kept
 * only when the factory says the emitter is one of its coins (a contract that merely emits the same event counts
 * nothing); each coin's creator is read once and cached, since a coin's creator never changes.
 */
export function createRevenueReader({ publicClient, vault, creatorCoinFactory, startBlock, retry = { attempts: 5, backoffMs: 200 } }: CreateRevenueReaderParameters): RevenueReader {
  const coins = new Map<Address, Address | null>();
  const rpc = <T>(operation: string, run: () => Promise<T>) => withRpcRetry({ operation, retry, run });

  const creatorOfCoin = async (coin: Address): Promise<Address | null> => {
    const known = coins.get(coin);
    if (known !== undefined) return known;
    const isCoin = await rpc("isCoin", () => publicClient.readContract({ address: creatorCoinFactory, abi: creatorCoinFactoryAbi, functionName: "isCoin", args: [coin] }));
    const creator = isCoin ? lowerHex(await rpc("creator", () => publicClient.readContract({ address: coin, abi: creatorCoinAbi, functionName: "creator" }))) : null;
    coins.set(coin, creator);
    return creator;
  };

  return {
    startBlock,
    async revenueBetween(fromBlock, toBlock) {
      const revenue = new Map<Address, bigint>();
      const add = (creator: Address, amount: bigint) => revenue.set(creator, (revenue.get(creator) ?? 0n) + amount);
      if (fromBlock > toBlock) return revenue;
      if (vault !== undefined) {
        const settled = await rpc("getLogs", () =>
          publicClient.getContractEvents({ address: vault, abi: vaultAbi, eventName: "StreamSettled", fromBlock, toBlock, strict: true }),
        );
        for (const log of settled) add(lowerHex(log.args.artist), log.args.amount);
      }
      const deposits = await rpc("getLogs", () => publicClient.getLogs({ event: revenueDeposited, fromBlock, toBlock, strict: true }));
      for (const log of deposits) {
        // The vault's quarterly holder distribution deposits streaming revenue that StreamSettled already counted.
        if (vault !== undefined && lowerHex(log.args.from) === lowerHex(vault)) continue;
        const creator = await creatorOfCoin(lowerHex(log.address));
        if (creator !== null) add(creator, log.args.amount);
      }
      return revenue;
    },
  };
}
