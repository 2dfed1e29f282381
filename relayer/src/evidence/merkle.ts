import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, isHex, keccak256, type Address, type Hex } from "viem";
import { PlayNotInTreeError } from "./errors.js";
import { assertSignedPlay, canonicalPlays, normalizePlay, type SignedPlay } from "./plays.js";

/** StandardMerkleTree leaf types of a play (DESIGN.md, "Batch evidence"); MusicNFT.playLeaf hashes the same. */
export const PLAY_LEAF_ENCODING = ["address", "uint256", "uint64", "uint32", "bytes32", "bytes32"] as const;

/** (listener, trackId, startedAt, durationSeconds, nonce, keccak256(signature)). */
export type PlayLeaf = [Address, bigint, bigint, number, Hex, Hex];

export type PlaysTree = StandardMerkleTree<PlayLeaf>;

const LEAF_PARAMETERS = PLAY_LEAF_ENCODING.map((type) => ({ type }));

/** The leaf values of a play, in PLAY_LEAF_ENCODING order. */
export function playLeaf(play: SignedPlay): PlayLeaf {
  assertSignedPlay(play);
  const { listener, trackId, startedAt, durationSeconds, nonce, signature } = normalizePlay(play);
  return [listener, trackId, startedAt, durationSeconds, nonce, keccak256(signature)];
}

/**
 * The StandardMerkleTree leaf hash, keccak256(keccak256(abi.encode(leaf))), computed with viem rather than
 * the tree library so tests can cross-check the two (and MusicNFT.playLeaf) independently.
 */
export function playLeafHash(play: SignedPlay): Hex {
  return keccak256(keccak256(encodeAbiParameters(LEAF_PARAMETERS, playLeaf(play))));
}

/**
 * The Merkle tree of a batch. Plays are first put in canonical order (trackId, listener, nonce; see
 * `canonicalPlays`), so `tree.values` — what the snapshot lists — never depends on arrival order; the library
 * then sorts leaves by hash (its default), so anyone rebuilding the tree with plain
 * `StandardMerkleTree.of(leaves, PLAY_LEAF_ENCODING)` gets the same root from the same set of plays in any order.
 * Throws `EmptyBatchError`, `DuplicatePlayError` or `InvalidPlayError`.
 */
export function buildPlaysTree(plays: readonly SignedPlay[]): PlaysTree {
  return StandardMerkleTree.of(canonicalPlays(plays).map(playLeaf), [...PLAY_LEAF_ENCODING]);
}

/** The tree's root as viem `Hex`. */
export function rootOf(tree: PlaysTree): Hex {
  return asHex(tree.root);
}

/** The proof that `MusicNFT.verifyPlay(batchId, playLeafHash(play), proof)` accepts; `PlayNotInTreeError` if absent. */
export function proofFor(tree: PlaysTree, play: SignedPlay): Hex[] {
  const leaf = playLeaf(play);
  let proof: string[];
  try {
    proof = tree.getProof(leaf);
  } catch (error) {
    // The library throws a plain Error for an unknown leaf; anything else is a bug worth surfacing as is.
    if (error instanceof Error && /not in tree/i.test(error.message)) throw new PlayNotInTreeError(leaf[0], leaf[4]);
    throw error;
  }
  return proof.map(asHex);
}

function asHex(value: string): Hex {
  if (!isHex(value, { strict: true })) throw new TypeError(`merkle-tree returned a non-hex node ${value}`);
  return value;
}
