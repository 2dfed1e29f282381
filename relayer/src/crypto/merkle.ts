import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";
import { PlayNotInTreeError } from "./errors.js";
import { lowerHex, writeUintBE } from "./hex.js";
import { loadNative } from "./native.js";
import { assertSignedPlay, canonicalPlays, normalizePlay, type SignedPlay } from "./plays.js";

/** StandardMerkleTree leaf types of a play (README, "Batch evidence"); MusicNFT.playLeaf hashes the same. */
export const PLAY_LEAF_ENCODING = ["address", "uint256", "uint64", "uint32", "bytes32", "bytes32"] as const;

/** (listener, trackId, startedAt, durationSeconds, nonce, keccak256(signature)). */
export type PlayLeaf = [Address, bigint, bigint, number, Hex, Hex];

/** A batch's Merkle tree: the subset of StandardMerkleTree's interface the relayer uses, with the same results. */
export type PlaysTree = {
  readonly root: Hex;
  /** [index, leaf] in canonical play order, the order the snapshot lists. */
  entries(): IterableIterator<[number, PlayLeaf]>;
  at(index: number): PlayLeaf | undefined;
  leafHash(leaf: PlayLeaf): Hex;
  /** The proof of the leaf at `index` (canonical order), or of `leaf`; throws for a leaf not in the tree. */
  getProof(leafOrIndex: number | PlayLeaf): Hex[];
};

const LEAF_PARAMETERS = PLAY_LEAF_ENCODING.map((type) => ({ type }));

/** The leaf values of a play, in PLAY_LEAF_ENCODING order. */
export function playLeaf(play: SignedPlay): PlayLeaf {
  assertSignedPlay(play);
  const { listener, trackId, startedAt, durationSeconds, nonce, signature } = normalizePlay(play);
  return [listener, trackId, startedAt, durationSeconds, nonce, `0x${loadNative().keccak256(Buffer.from(signature.slice(2), "hex")).toString("hex")}`];
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
 * `canonicalPlays`), so the leaf order — what the snapshot lists — never depends on arrival order; leaves are then
 * sorted by hash, so anyone rebuilding the tree with plain `StandardMerkleTree.of(leaves, PLAY_LEAF_ENCODING)` gets
 * the same root from the same set of plays in any order. Throws `EmptyBatchError`, `DuplicatePlayError` or
 * `InvalidPlayError`.
 *
 * Built by hand with the native keccak rather than by the library: StandardMerkleTree takes ≈ 5 s for a 10,000-play
 * batch (JS hashing and ABI coding), time the seal step would block ingestion for; this takes tens of milliseconds.
 * The layout is the library's (`makeMerkleTree`): leaves sorted by hash fill the array's end in reverse, each inner
 * node hashes its sorted children. Tests hold both equal, and the auditor (`verify`) uses the library.
 */
export function buildPlaysTree(plays: readonly SignedPlay[]): PlaysTree {
  const { keccak256: hash } = loadNative();
  const values = canonicalPlays(plays).map(playLeaf);
  const leafHashOf = (leaf: PlayLeaf) => hash(hash(encodeLeaf(leaf)));
  const hashes = values.map(leafHashOf);
  const sorted = values.map((_, index) => index).sort((a, b) => Buffer.compare(hashes[a]!, hashes[b]!));
  const nodes: Buffer[] = new Array(2 * values.length - 1);
  const treeIndex: number[] = new Array(values.length);
  sorted.forEach((valueIndex, position) => {
    treeIndex[valueIndex] = nodes.length - 1 - position;
    nodes[nodes.length - 1 - position] = hashes[valueIndex]!;
  });
  const pair = Buffer.alloc(64);
  for (let index = nodes.length - 1 - values.length; index >= 0; index--) {
    const [left, right] = [nodes[2 * index + 1]!, nodes[2 * index + 2]!];
    const [low, high] = Buffer.compare(left, right) <= 0 ? [left, right] : [right, left];
    low.copy(pair, 0);
    high.copy(pair, 32);
    nodes[index] = hash(pair);
  }
  const indexOfHash = new Map(hashes.map((leafHash, index) => [leafHash.toString("hex"), index]));
  const toHex = (bytes: Buffer): Hex => `0x${bytes.toString("hex")}`;
  return {
    root: toHex(nodes[0]!),
    entries: () => values.entries(),
    at: (index) => values[index],
    leafHash: (leaf) => toHex(leafHashOf(leaf)),
    getProof(leafOrIndex) {
      const index = typeof leafOrIndex === "number" ? leafOrIndex : indexOfHash.get(leafHashOf(leafOrIndex).toString("hex"));
      if (index === undefined || treeIndex[index] === undefined) throw new Error("Leaf is not in tree");
      const proof: Hex[] = [];
      for (let node = treeIndex[index]!; node > 0; node = Math.floor((node - 1) / 2)) proof.push(toHex(nodes[node % 2 === 1 ? node + 1 : node - 1]!));
      return proof;
    },
  };
}

/** The root StandardMerkleTree itself computes for these plays: the auditor's independent reference. */
export function referenceRoot(plays: readonly SignedPlay[]): Hex {
  return lowerHex(StandardMerkleTree.of(canonicalPlays(plays).map(playLeaf), [...PLAY_LEAF_ENCODING]).root);
}

/** abi.encode of a leaf: six static 32-byte words. */
function encodeLeaf([listener, trackId, startedAt, durationSeconds, nonce, signatureHash]: PlayLeaf): Buffer {
  const words = Buffer.alloc(192);
  words.write(listener.slice(2), 12, 20, "hex");
  // assertSignedPlay range-checked every value against its type, so 32 bytes always hold it.
  writeUintBE(words, 32, 32, trackId);
  writeUintBE(words, 64, 32, startedAt);
  writeUintBE(words, 96, 32, BigInt(durationSeconds));
  words.write(nonce.slice(2), 128, 32, "hex");
  words.write(signatureHash.slice(2), 160, 32, "hex");
  return words;
}

/** The tree's root as viem `Hex`. */
export function rootOf(tree: PlaysTree): Hex {
  return tree.root;
}

/** The proof that `MusicNFT.verifyPlay(batchId, play, keccak256(play.signature), proof)` accepts for `play`, whose leaf hash is `playLeafHash(play)`; `PlayNotInTreeError` if absent. */
export function proofFor(tree: PlaysTree, play: SignedPlay): Hex[] {
  const leaf = playLeaf(play);
  try {
    return tree.getProof(leaf);
  } catch (error) {
    if (error instanceof Error && /not in tree/i.test(error.message)) throw new PlayNotInTreeError(leaf[0], leaf[4]);
    throw error;
  }
}
