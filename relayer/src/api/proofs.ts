import type { Address, Hex } from "viem";
import type { Queryable } from "../db/database.js";
import { buildPlaysTree, rootOf, type PlaysTree } from "../evidence/merkle.js";
import { BatchStateError } from "../repo/errors.js";
import { batchPlays, loadBatch } from "../repo/batches.js";

/** The `Play` struct of `MusicNFT.verifyPlay`: the signed fields, without the signature. */
export type ProvenPlayFields = { listener: Address; trackId: bigint; startedAt: bigint; durationSeconds: number; nonce: Hex };

/**
 * What `MusicNFT.verifyPlay(batchId, play, signatureHash, proof)` takes, read from the leaf the proof proves (not
 * from the play's row), plus the leaf hash itself for callers that check the proof off chain.
 */
export type PlayProof = { leaf: Hex; proof: Hex[]; play: ProvenPlayFields; signatureHash: Hex };

export type ProofSource = {
  /** The leaf, its pre-image and its Merkle proof for the play at `leafIndex` of committed batch `batchId`. */
  proofOf(batchId: bigint, leafIndex: number): Promise<PlayProof>;
};

export type CreateProofSourceParameters = { db: Queryable; /** Trees kept in memory; a committed batch never changes. */ cacheSize?: number };

/**
 * Proofs rebuilt from the stored plays: the tree of a batch is built once, checked against the sealed root (a
 * changed row must never yield a proof the chain rejects), and kept for the next play of the same batch.
 */
export function createProofSource({ db, cacheSize = 8 }: CreateProofSourceParameters): ProofSource {
  const trees = new Map<bigint, Promise<PlaysTree>>();
  const treeOf = (batchId: bigint) => {
    let tree = trees.get(batchId);
    if (tree === undefined) {
      tree = (async () => {
        const [batch, plays] = await Promise.all([loadBatch(db, batchId), batchPlays(db, batchId)]);
        const built = buildPlaysTree(plays);
        if (rootOf(built) !== batch.root) throw new BatchStateError(`batch ${batchId}: stored plays give root ${rootOf(built)}, committed ${batch.root}`);
        return built;
      })();
      trees.set(batchId, tree);
      tree.catch(() => trees.delete(batchId));
      // Oldest first out: Map keeps insertion order.
      for (const key of trees.keys()) {
        if (trees.size <= cacheSize) break;
        trees.delete(key);
      }
    }
    return tree;
  };
  return {
    async proofOf(batchId, leafIndex) {
      const tree = await treeOf(batchId);
      const value = tree.at(leafIndex);
      if (value === undefined) throw new BatchStateError(`batch ${batchId} has no leaf ${leafIndex}`);
      const [listener, trackId, startedAt, durationSeconds, nonce, signatureHash] = value;
      return {
        leaf: tree.leafHash(value),
        proof: tree.getProof(leafIndex),
        play: { listener, trackId, startedAt, durationSeconds, nonce },
        signatureHash,
      };
    },
  };
}
