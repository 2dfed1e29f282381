/**
 * Audits a committed batch in the browser, trusting neither the relayer nor the indexer: the snapshot bytes (served
 * by the relayer, from its store) are hashed to their CID, every play's signature is recovered, the Merkle root is
 * rebuilt exactly as OpenZeppelin's StandardMerkleTree builds it (README, "Batch evidence"), the per-track counts
 * are recounted, and all of it is compared with what the chain holds: MusicNFT.batchRoot and the PlaysCommitted
 * event (CID, plays, packed deltas).
 */
import { encodeAbiParameters, hexToBytes, keccak256, recoverTypedDataAddress, sha256, type Address, type Hex, type PublicClient } from "viem";
import { PLAY_TYPES, playDomain } from "../../../relayer/src/crypto/eip712.ts";
import { MusicNFTAbi } from "../abis.ts";

export type Check = { name: string; ok: boolean | undefined; detail: string };
export type VerifyResult = { batchId: bigint; plays: number; ok: boolean; checks: Check[] };

type SnapshotPlay = { listener: Address; trackId: string; startedAt: string; durationSeconds: number; nonce: Hex; signature: Hex };
type Snapshot = { version: number; chainId: string; musicNFT: Address; batchId: string; previousCid: string | null; root: Hex; plays: SnapshotPlay[]; deltas: { trackId: string; plays: string }[] };

const LEAF_TYPES = ["address", "uint256", "uint64", "uint32", "bytes32", "bytes32"].map((type) => ({ type }));
/** Kubo's `ipfs add --cid-version=1` keeps a file of at most one 256 KiB chunk as a single raw block. */
const SINGLE_CHUNK_BYTES = 262_144;
/** Plays counted only from this length on (README, "Signed messages"). */
const MIN_PLAY_SECONDS = 20;

/** StandardMerkleTree's leaf: keccak256(keccak256(abi.encode(values))). */
export function playLeafHash(play: SnapshotPlay): Hex {
  const values = [play.listener, BigInt(play.trackId), BigInt(play.startedAt), play.durationSeconds, play.nonce, keccak256(play.signature)];
  return keccak256(keccak256(encodeAbiParameters(LEAF_TYPES, values)));
}

const compareHex = (a: Hex, b: Hex) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

/** StandardMerkleTree's root: leaves sorted by hash fill the array's end in reverse; each node hashes its sorted children. */
export function merkleRoot(leaves: readonly Hex[]): Hex {
  if (leaves.length === 0) throw new Error("no leaves");
  const sorted = [...leaves].sort(compareHex);
  const tree: Hex[] = new Array(2 * sorted.length - 1);
  sorted.forEach((leaf, index) => (tree[tree.length - 1 - index] = leaf));
  for (let index = tree.length - 1 - sorted.length; index >= 0; index--) {
    const [left, right] = [tree[2 * index + 1]!, tree[2 * index + 2]!];
    const [low, high] = compareHex(left, right) <= 0 ? [left, right] : [right, left];
    tree[index] = keccak256(`0x${low.slice(2)}${high.slice(2)}`);
  }
  return tree[0]!;
}

/** CIDv1 (raw codec, sha2-256) in base32: the CID Kubo gives a file of one chunk. */
export function rawCid(bytes: Uint8Array): string {
  const digest = hexToBytes(sha256(bytes));
  const cid = new Uint8Array([0x01, 0x55, 0x12, 0x20, ...digest]);
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  let out = "b";
  for (const byte of cid) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** MusicNFT's packed deltas (12 bytes each: 8-byte trackId, 4-byte count) as trackId → plays. */
export function unpackDeltas(packed: Hex): Map<string, bigint> {
  const hex = packed.slice(2);
  const deltas = new Map<string, bigint>();
  for (let offset = 0; offset + 24 <= hex.length; offset += 24) {
    const trackId = BigInt(`0x${hex.slice(offset, offset + 16)}`).toString();
    deltas.set(trackId, (deltas.get(trackId) ?? 0n) + BigInt(`0x${hex.slice(offset + 16, offset + 24)}`));
  }
  return deltas;
}

const sameCounts = (a: Map<string, bigint>, b: Map<string, bigint>) => a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
const describeCounts = (counts: Map<string, bigint>) => [...counts].map(([track, plays]) => `#${track}: ${plays}`).join(", ");

export type VerifyBatchParameters = {
  batchId: bigint;
  bytes: Uint8Array;
  client: Pick<PublicClient, "readContract" | "getContractEvents" | "getChainId">;
  musicNFT: Address;
  /** The batch's commit block when known (the relayer's record), to find its event without scanning the chain. */
  block?: bigint;
  onProgress?: (done: number, total: number) => void;
};

export async function verifyBatchInBrowser({ batchId, bytes, client, musicNFT, block, onProgress }: VerifyBatchParameters): Promise<VerifyResult> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean | undefined, detail: string) => checks.push({ name, ok, detail });
  const events = await client.getContractEvents({ address: musicNFT, abi: MusicNFTAbi, eventName: "PlaysCommitted", args: { batchId }, fromBlock: block ?? 0n, toBlock: block ?? "latest" });
  const event = events[0];
  const chainRoot = (await client.readContract({ address: musicNFT, abi: MusicNFTAbi, functionName: "batchRoot", args: [batchId] })) as Hex;
  if (event === undefined) {
    check("committed on chain", false, `no PlaysCommitted event for batch ${batchId} on MusicNFT ${musicNFT}`);
    return { batchId, plays: 0, ok: false, checks };
  }
  const committed = event.args;
  check("committed on chain", true, `block ${event.blockNumber}, tx ${event.transactionHash}`);

  if (bytes.length <= SINGLE_CHUNK_BYTES) {
    const cid = rawCid(bytes);
    check("snapshot CID", cid === committed.snapshotCid, cid === committed.snapshotCid ? `the bytes hash to ${cid}, the CID the chain committed` : `the bytes hash to ${cid}, the chain committed ${committed.snapshotCid}`);
  } else {
    check("snapshot CID", undefined, `${bytes.length} bytes span several 256 KiB chunks: the CID of a chunked DAG is left to \`npm run relayer -- verify\``);
  }

  let snapshot: Snapshot;
  try {
    snapshot = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Snapshot;
  } catch (error) {
    check("snapshot readable", false, `not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`);
    return { batchId, plays: 0, ok: false, checks };
  }
  const chainId = await client.getChainId();
  const header = snapshot.batchId === batchId.toString() && snapshot.chainId === String(chainId) && snapshot.musicNFT.toLowerCase() === musicNFT.toLowerCase();
  check("snapshot header", header, `batch ${snapshot.batchId}, chain ${snapshot.chainId}, MusicNFT ${snapshot.musicNFT}`);

  // Signatures: each play recovers to its listener under MusicNFT's EIP-712 domain.
  const domain = playDomain({ chainId, musicNFT });
  let badSignatures = 0;
  let short = 0;
  for (const [index, play] of snapshot.plays.entries()) {
    const signer = await recoverTypedDataAddress({
      domain,
      types: PLAY_TYPES,
      primaryType: "Play",
      message: { listener: play.listener, trackId: BigInt(play.trackId), startedAt: BigInt(play.startedAt), durationSeconds: play.durationSeconds, nonce: play.nonce },
      signature: play.signature,
    }).catch(() => undefined);
    if (signer?.toLowerCase() !== play.listener.toLowerCase()) badSignatures++;
    if (play.durationSeconds < MIN_PLAY_SECONDS) short++;
    // Let the page breathe on large batches.
    if (index % 100 === 99) {
      onProgress?.(index + 1, snapshot.plays.length);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  check("signatures", badSignatures === 0, badSignatures === 0 ? `all ${snapshot.plays.length} recover to their listener` : `${badSignatures} of ${snapshot.plays.length} do not recover to their listener`);
  check("play lengths", short === 0, short === 0 ? `every play lasted at least ${MIN_PLAY_SECONDS} s` : `${short} plays are shorter than ${MIN_PLAY_SECONDS} s`);

  const root = merkleRoot(snapshot.plays.map(playLeafHash));
  check("Merkle root", root === chainRoot.toLowerCase() && root === committed.root?.toLowerCase(), `rebuilt ${root}; MusicNFT.batchRoot ${chainRoot}; PlaysCommitted ${committed.root}`);

  const counted = new Map<string, bigint>();
  for (const play of snapshot.plays) counted.set(play.trackId, (counted.get(play.trackId) ?? 0n) + 1n);
  const onChain = unpackDeltas(committed.deltas as Hex);
  const listed = new Map(snapshot.deltas.map((delta) => [delta.trackId, BigInt(delta.plays)]));
  check("plays per track", sameCounts(counted, onChain) && sameCounts(counted, listed), `recounted ${describeCounts(counted)}; on chain ${describeCounts(onChain)}`);
  check("total plays", BigInt(snapshot.plays.length) === committed.plays, `${snapshot.plays.length} in the snapshot, ${committed.plays} committed`);
  return { batchId, plays: snapshot.plays.length, ok: checks.every((item) => item.ok !== false), checks };
}
