import type { Address, PublicClient } from "viem";
import { ChainReadError } from "./errors.js";

/** The MusicNFT views the relayer reads; a test holds each entry equal to the compiled artifact's ABI. */
export const musicNFTReadAbi = [
  {
    type: "function",
    name: "totalTracks",
    stateMutability: "view",
    inputs: [],
    outputs: [{ name: "", type: "uint256" }],
  },
  {
    type: "function",
    name: "playCount",
    stateMutability: "view",
    inputs: [{ name: "trackId", type: "uint256" }],
    outputs: [{ name: "", type: "uint256" }],
  },
  {
    type: "function",
    name: "creatorOf",
    stateMutability: "view",
    inputs: [{ name: "trackId", type: "uint256" }],
    outputs: [{ name: "", type: "address" }],
  },
  {
    type: "function",
    name: "nextBatchId",
    stateMutability: "view",
    inputs: [],
    outputs: [{ name: "", type: "uint256" }],
  },
] as const;

export type ChainReader = {
  /** Tracks minted so far; ids run from 1 to this. */
  totalTracks(): Promise<bigint>;
  /** Committed plays of `trackId` on chain. */
  playCount(trackId: bigint): Promise<bigint>;
  /** The creator of `trackId` (zero address for an unknown track). */
  creatorOf(trackId: bigint): Promise<Address>;
  /** The id the next commit must carry. */
  nextBatchId(): Promise<bigint>;
  /** The chain id the RPC answers with, to check it against the configuration. */
  chainId(): Promise<number>;
};

export type CreateChainReaderParameters = {
  client: Pick<PublicClient, "readContract" | "getChainId">;
  musicNFT: Address;
};

/** Read-only access to MusicNFT; every failure becomes a `ChainReadError` (HTTP 503). */
export function createChainReader({ client, musicNFT }: CreateChainReaderParameters): ChainReader {
  const read = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw new ChainReadError(what, error);
    }
  };
  const address = musicNFT;
  const abi = musicNFTReadAbi;
  return {
    totalTracks: () => read("totalTracks", () => client.readContract({ address, abi, functionName: "totalTracks" })),
    playCount: (trackId) =>
      read("playCount", () => client.readContract({ address, abi, functionName: "playCount", args: [trackId] })),
    creatorOf: (trackId) =>
      read("creatorOf", () => client.readContract({ address, abi, functionName: "creatorOf", args: [trackId] })),
    nextBatchId: () => read("nextBatchId", () => client.readContract({ address, abi, functionName: "nextBatchId" })),
    chainId: () => read("chainId", () => client.getChainId()),
  };
}
