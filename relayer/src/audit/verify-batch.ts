import { zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { createEngagementVerifier } from "../crypto/engagement.js";
import type { SignedEngagement } from "../evidence/engagement.js";
import { musicNFTAbi } from "../chain/abis.js";
import { cidOf } from "../evidence/cid.js";
import { computeDeltas, packDeltas, unpackDeltas } from "../evidence/deltas.js";
import { lowerHex } from "../crypto/hex.js";
import { referenceRoot } from "../crypto/merkle.js";
import type { SignedPlay } from "../crypto/plays.js";
import { createPlayVerifier } from "../crypto/signatures.js";
import { EvidenceError } from "../errors.js";
import { auditSnapshot, decodeSnapshot, type Snapshot } from "../evidence/snapshot.js";
import type { SnapshotSource } from "./snapshot-source.js";

/** README, "Signed messages": a play counts only when it lasted at least 20 seconds. */
export const PROTOCOL_MIN_PLAY_SECONDS = 20;

export type VerifyBatchParameters = {
  batchId: bigint;
  client: Pick<PublicClient, "getContractEvents" | "readContract" | "getChainId">;
  musicNFT: { address: Address; startBlock: number };
  source: SnapshotSource;
};

export type VerifyBatchReturnType = {
  batchId: bigint;
  /** The CID the chain committed for the batch; null when the chain has no commit of it. */
  cid: string | null;
  /** Plays in the snapshot (0 when it could not be read or decoded). */
  plays: number;
  /** Engagement events in the snapshot (0 for a version-1 snapshot or one that could not be decoded). */
  engagement: number;
  /** One line per thing that differs; empty means the batch verifies. */
  differences: string[];
};

type Commit = { root: Hex; cid: string; plays: bigint; tracks: bigint; deltas: Hex };

/**
 * Audits a committed batch from public data only: the chain's PlaysCommitted event and batchRoot, and the snapshot
 * the event names. Our own database is deliberately not consulted, so the audit trusts nothing the relayer could
 * have rewritten. Every check runs that the evidence allows, so one tampered field does not hide another.
 */
export async function verifyBatch({ batchId, client, musicNFT, source }: VerifyBatchParameters): Promise<VerifyBatchReturnType> {
  const differences: string[] = [];
  const result = (cid: string | null, plays = 0, engagement = 0): VerifyBatchReturnType => ({ batchId, cid, plays, engagement, differences });

  const commit = await findCommit(client, musicNFT, batchId);
  if (commit === undefined) {
    differences.push(`chain: batch ${batchId} has no PlaysCommitted event on MusicNFT ${musicNFT.address} (not committed)`);
    return result(null);
  }

  const bytes = await source.fetch(commit.cid);
  if (bytes === undefined) {
    differences.push(`snapshot: ${commit.cid} not found in ${source.where}`);
    return result(commit.cid);
  }
  const actualCid = await cidOf(bytes);
  if (actualCid !== commit.cid) differences.push(`cid: the snapshot bytes hash to ${actualCid}, the chain committed ${commit.cid}`);

  let snapshot: Snapshot;
  try {
    snapshot = decodeSnapshot(bytes);
  } catch (error) {
    if (!(error instanceof EvidenceError)) throw error;
    differences.push(`snapshot: ${error.message}`);
    return result(commit.cid);
  }

  const chainId = BigInt(await client.getChainId());
  if (snapshot.chainId !== chainId) differences.push(`snapshot: chainId is ${snapshot.chainId}, the chain is ${chainId}`);
  if (snapshot.musicNFT !== lowerHex(musicNFT.address)) differences.push(`snapshot: musicNFT is ${snapshot.musicNFT}, expected ${lowerHex(musicNFT.address)}`);
  if (snapshot.batchId !== batchId) differences.push(`snapshot: batchId is ${snapshot.batchId}, expected ${batchId}`);
  for (const problem of auditSnapshot(snapshot)) differences.push(`snapshot ${problem}`);

  // decodeSnapshot already rejected duplicates and malformed plays, so the tree builds. The audit builds it with
  // OpenZeppelin's library itself, independently of the relayer's own tree code.
  const root = referenceRoot(snapshot.plays);
  const batchRoot = lowerHex(await client.readContract({ address: musicNFT.address, abi: musicNFTAbi, functionName: "batchRoot", args: [batchId] }));
  if (batchRoot !== root) differences.push(`root: MusicNFT.batchRoot(${batchId}) is ${batchRoot}, the snapshot's plays give ${root}`);
  if (lowerHex(commit.root) !== batchRoot) differences.push(`root: PlaysCommitted says ${lowerHex(commit.root)}, MusicNFT.batchRoot(${batchId}) is ${batchRoot}`);
  if (commit.plays !== BigInt(snapshot.plays.length)) {
    differences.push(`plays: the chain committed ${commit.plays} plays, the snapshot has ${snapshot.plays.length}`);
  }

  differences.push(...(await checkDeltas(client, musicNFT.address, snapshot, commit)));
  differences.push(...checkPlays(Number(chainId), musicNFT.address, snapshot.plays));
  differences.push(...(await checkPreviousLink(client, musicNFT, batchId, snapshot.previousCid)));
  // auditSnapshot above recomputed the engagement deltas from the events; here every event's signature.
  const engagement = snapshot.version === 2 ? snapshot.engagement.events : [];
  differences.push(...checkEngagementSignatures(Number(chainId), musicNFT.address, engagement));
  return result(commit.cid, snapshot.plays.length, engagement.length);
}

/** Each engagement event signed by its fan over MusicNFT's EIP-712 domain (primary type Engagement). */
function checkEngagementSignatures(chainId: number, musicNFT: Address, events: readonly SignedEngagement[]): string[] {
  const verifier = createEngagementVerifier({ chainId, musicNFT });
  const differences: string[] = [];
  events.forEach(({ signature, ...event }, index) => {
    const which = `engagement ${index} (${event.action} by fan ${event.fan}, nonce ${event.nonce})`;
    const signer = verifier.recover(verifier.digest(event), signature);
    if (signer === null) differences.push(`${which}: signature is not a valid 65-byte low-s ECDSA signature`);
    else if (lowerHex(signer) !== lowerHex(event.fan)) differences.push(`${which}: signature recovers to ${lowerHex(signer)}, not the fan`);
  });
  return differences;
}

async function findCommit(client: VerifyBatchParameters["client"], musicNFT: VerifyBatchParameters["musicNFT"], batchId: bigint): Promise<Commit | undefined> {
  if (batchId < 1n) return undefined;
  const logs = await client.getContractEvents({
    address: musicNFT.address,
    abi: musicNFTAbi,
    eventName: "PlaysCommitted",
    args: { batchId },
    fromBlock: BigInt(musicNFT.startBlock),
    toBlock: "latest",
    strict: true,
  });
  // MusicNFT commits each batch id once; a second log would be a contract bug worth seeing, so take the first.
  const log = logs[0];
  if (log === undefined) return undefined;
  const { root, snapshotCid, plays, tracks, deltas } = log.args;
  return { root, cid: snapshotCid, plays, tracks, deltas };
}

/** The packed deltas the plays imply, attributed with the chain's creatorOf, against the committed bytes. */
async function checkDeltas(client: VerifyBatchParameters["client"], musicNFT: Address, snapshot: Snapshot, commit: Commit): Promise<string[]> {
  const differences: string[] = [];
  const creatorOf = new Map<bigint, Address>();
  for (const trackId of new Set(snapshot.plays.map((play) => play.trackId))) {
    // MusicNFT answers the zero address for a track never minted.
    const creator = await client.readContract({ address: musicNFT, abi: musicNFTAbi, functionName: "creatorOf", args: [trackId] });
    if (creator === zeroAddress) differences.push(`deltas: track ${trackId} is not minted on MusicNFT`);
    else creatorOf.set(trackId, creator);
  }
  if (differences.length > 0) return differences;

  const { tracks, creators } = computeDeltas({ plays: snapshot.plays, creatorOf });
  const packed = packDeltas(tracks);
  if (packed !== lowerHex(commit.deltas)) {
    const committed = sumPerTrack(unpackDeltas(commit.deltas));
    const recomputed = sumPerTrack(unpackDeltas(packed));
    for (const trackId of [...new Set([...committed.keys(), ...recomputed.keys()])].sort((a, b) => (a < b ? -1 : 1))) {
      const chain = committed.get(trackId) ?? 0n;
      const plays = recomputed.get(trackId) ?? 0n;
      if (chain !== plays) differences.push(`deltas: track ${trackId}: the chain committed ${chain}, the plays give ${plays}`);
    }
    if (differences.length === 0) differences.push(`deltas: the committed bytes ${lowerHex(commit.deltas)} differ from the recomputed ${packed} (same totals, other order)`);
  }
  const entries = BigInt(unpackDeltas(packed).length);
  if (commit.tracks !== entries) differences.push(`deltas: the chain counted ${commit.tracks} delta entries, the plays give ${entries}`);

  const stated = new Map(snapshot.creators.map(({ creator, plays }) => [lowerHex(creator), plays]));
  for (const { creator, plays } of creators) {
    const claim = stated.get(creator) ?? 0n;
    if (claim !== plays) differences.push(`creators: ${creator} stated ${claim}, MusicNFT.creatorOf attribution gives ${plays}`);
    stated.delete(creator);
  }
  for (const [creator, claim] of stated) differences.push(`creators: ${creator} stated ${claim}, but creates none of the batch's tracks`);
  return differences;
}

/** Each play signed by its listener over MusicNFT's EIP-712 domain, and long enough to count. */
function checkPlays(chainId: number, musicNFT: Address, plays: readonly SignedPlay[]): string[] {
  const verifier = createPlayVerifier({ chainId, musicNFT });
  const differences: string[] = [];
  plays.forEach((play, index) => {
    const which = `play ${index} (listener ${play.listener}, nonce ${play.nonce})`;
    const signer = verifier.recover(verifier.digest(play), play.signature);
    if (signer === null) differences.push(`${which}: signature is not a valid 65-byte low-s ECDSA signature`);
    else if (signer !== lowerHex(play.listener)) differences.push(`${which}: signature recovers to ${signer}, not the listener`);
    if (play.durationSeconds < PROTOCOL_MIN_PLAY_SECONDS) {
      differences.push(`${which}: durationSeconds ${play.durationSeconds} is below ${PROTOCOL_MIN_PLAY_SECONDS}`);
    }
  });
  return differences;
}

/** The snapshot must link to the CID the chain committed for the batch before it (none before batch 1). */
async function checkPreviousLink(
  client: VerifyBatchParameters["client"],
  musicNFT: VerifyBatchParameters["musicNFT"],
  batchId: bigint,
  previousCid: string | null,
): Promise<string[]> {
  const previous = await findCommit(client, musicNFT, batchId - 1n);
  const expected = previous?.cid ?? null;
  if (previousCid === expected) return [];
  const stated = previousCid ?? "none";
  if (expected === null) return [`previousCid: the snapshot links to ${stated}, but batch ${batchId - 1n} is not on chain`];
  return [`previousCid: the snapshot links to ${stated}, batch ${batchId - 1n} committed ${expected}`];
}

function sumPerTrack(entries: readonly { trackId: bigint; plays: bigint }[]): Map<bigint, bigint> {
  const sums = new Map<bigint, bigint>();
  for (const { trackId, plays } of entries) sums.set(trackId, (sums.get(trackId) ?? 0n) + plays);
  return sums;
}
