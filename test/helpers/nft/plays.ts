import type { Signer, TypedDataDomain } from "ethers";
import { keccak256 } from "ethers";

import { PLAY_TYPES as PLAY_TYPE_DEFINITION } from "../../../relayer/src/crypto/eip712.js";

/**
 * The EIP-712 `Play` type, defined once in the relayer (field for field MusicNFT's PLAY_TYPEHASH);
 * ethers wants mutable arrays where viem wants `as const`, hence the copy.
 */
export const PLAY_TYPES = { Play: PLAY_TYPE_DEFINITION.Play.map((field) => ({ ...field })) };

/** StandardMerkleTree leaf encoding of a play in a batch (README, "Batch evidence"). */
export const PLAY_LEAF_ENCODING = ["address", "uint256", "uint64", "uint32", "bytes32", "bytes32"];

export interface Play {
  listener: string;
  trackId: bigint;
  startedAt: bigint;
  durationSeconds: bigint;
  nonce: string;
}

export interface SignedPlay {
  play: Play;
  signature: string;
}

/** The domain MusicNFT signs under: name "MusicNFT", version "1". */
export function musicNFTDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: "MusicNFT", version: "1", chainId, verifyingContract };
}

export async function signPlay(listener: Signer, domain: TypedDataDomain, play: Play): Promise<SignedPlay> {
  return { play, signature: await listener.signTypedData(domain, PLAY_TYPES, play) };
}

/** A play's leaf values for StandardMerkleTree, in PLAY_LEAF_ENCODING order. */
export function playLeafValues({ play, signature }: SignedPlay): [string, bigint, bigint, bigint, string, string] {
  return [play.listener, play.trackId, play.startedAt, play.durationSeconds, play.nonce, keccak256(signature)];
}
