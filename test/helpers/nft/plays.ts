import type { Signer, TypedDataDomain } from "ethers";
import { keccak256 } from "ethers";

/** The EIP-712 `Play` type, exactly as MusicNFT's PLAY_TYPEHASH spells it. */
export const PLAY_TYPES = {
  Play: [
    { name: "listener", type: "address" },
    { name: "trackId", type: "uint256" },
    { name: "startedAt", type: "uint64" },
    { name: "durationSeconds", type: "uint32" },
    { name: "nonce", type: "bytes32" },
  ],
};

/** StandardMerkleTree leaf encoding of a play in a batch (see DESIGN.md, "Batch evidence"). */
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
