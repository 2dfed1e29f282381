import type { Address, PublicClient } from "viem";
import { musicNFTReadAbi } from "./abis.js";
import { ChainReadError } from "./errors.js";

export type ChainReader = {
  /** Tracks minted so far; ids run from 1 to this. */
  totalTracks(): Promise<bigint>;
  /** Committed plays of `trackId` on chain. */
  playCount(trackId: bigint): Promise<bigint>;
  /** The creator of `trackId` (zero address for an unknown track). */
  creatorOf(trackId: bigint): Promise<Address>;
  /** Whether `account` has minted a track (MusicNFT's ICreatorRegistry): an artist a fan can follow. */
  isCreator(account: Address): Promise<boolean>;
  /** The id the next commit must carry. */
  nextBatchId(): Promise<bigint>;
  /** The chain id the RPC answers with, to check it against the configuration. */
  chainId(): Promise<number>;
};

export type CreateChainReaderParameters = {
  client: Pick<PublicClient, "readContract" | "getChainId">;
  musicNFT: Address;
};

/** Runs one chain read; any failure becomes a `ChainReadError` naming `what` (HTTP 503). */
export async function readChain<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ChainReadError(what, error);
  }
}

/** Read-only access to MusicNFT; every failure becomes a `ChainReadError` (HTTP 503). */
export function createChainReader({ client, musicNFT }: CreateChainReaderParameters): ChainReader {
  const address = musicNFT;
  const abi = musicNFTReadAbi;
  return {
    totalTracks: () => readChain("totalTracks", () => client.readContract({ address, abi, functionName: "totalTracks" })),
    playCount: (trackId) =>
      readChain("playCount", () => client.readContract({ address, abi, functionName: "playCount", args: [trackId] })),
    creatorOf: (trackId) =>
      readChain("creatorOf", () => client.readContract({ address, abi, functionName: "creatorOf", args: [trackId] })),
    isCreator: (account) =>
      readChain("isCreator", () => client.readContract({ address, abi, functionName: "isCreator", args: [account] })),
    nextBatchId: () => readChain("nextBatchId", () => client.readContract({ address, abi, functionName: "nextBatchId" })),
    chainId: () => readChain("chainId", () => client.getChainId()),
  };
}
