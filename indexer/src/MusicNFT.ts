import { ponder } from "ponder:registry";
import { creator, playBatch, track } from "ponder:schema";
import { zeroAddress } from "viem";
import { decodeDeltas } from "../lib/math.js";
import { addHourlyPlays, changeCreator, updatePlatform } from "./lib/platform.js";

ponder.on("MusicNFT:TrackMinted", async ({ event, context }) => {
  const { trackId, creator: creatorAddress, uri, royaltyReceiver, royaltyBps } = event.args;
  await context.db.insert(track).values({
    id: trackId,
    creator: creatorAddress,
    owner: creatorAddress, // mintTrack mints to its caller, the creator
    uri,
    royaltyReceiver,
    royaltyBps: Number(royaltyBps),
    mintedAt: event.block.timestamp,
    mintedBlock: event.block.number,
    mintTx: event.transaction.hash,
  });
  const { created } = await changeCreator({ db: context.db, address: creatorAddress, timestamp: event.block.timestamp, change: (row) => ({ tracks: row.tracks + 1 }) });
  await updatePlatform(context.db, (p) => ({ tracks: p.tracks + 1, creators: p.creators + (created ? 1 : 0) }));
});

// The mint's Transfer comes before TrackMinted (the row does not exist yet); TrackMinted sets the first owner.
ponder.on("MusicNFT:Transfer", async ({ event, context }) => {
  if (event.args.from === zeroAddress) return;
  await context.db.update(track, { id: event.args.tokenId }).set({ owner: event.args.to });
});

ponder.on("MusicNFT:TrackRoyaltyUpdated", async ({ event, context }) => {
  await context.db
    .update(track, { id: event.args.trackId })
    .set({ royaltyReceiver: event.args.royaltyReceiver, royaltyBps: Number(event.args.royaltyBps) });
});

ponder.on("MusicNFT:PlaysCommitted", async ({ event, context }) => {
  const { batchId, root, snapshotCid, plays, tracks, deltas } = event.args;
  const entries = decodeDeltas(deltas);
  // A track may appear more than once in a batch: its deltas are summed here so each track and creator row is
  // written once per batch (the batch row keeps every entry, packed, in commit order), and the hour's plays per
  // track are added to the hour's one platform row.
  const trackPlays = new Map<bigint, bigint>();
  for (const { trackId, plays: delta } of entries) trackPlays.set(trackId, (trackPlays.get(trackId) ?? 0n) + delta);
  // Each table's rows of the batch in one store operation (every store call costs Ponder a lock, metrics and copies).
  // The track and creator rows exist: commitPlays reverts on an unknown track (MusicNFTUnknownTrack) and a track's
  // creator row is made at its mint. So these upserts only ever update, and their values are just the keys; were a
  // row missing, Ponder would refuse the insert (not-null columns), as an update of a missing row throws.
  const trackRows = trackPlays.size === 0 ? [] : await context.db
    .insert(track)
    .values([...trackPlays.keys()].map((id) => ({ id }) as typeof track.$inferInsert))
    .onConflictDoUpdate((current) => ({ plays: current.plays + trackPlays.get(current.id)! }));
  const creatorPlays = new Map<`0x${string}`, bigint>();
  for (const row of trackRows) {
    creatorPlays.set(row.creator, (creatorPlays.get(row.creator) ?? 0n) + trackPlays.get(row.id)!);
  }
  if (creatorPlays.size > 0) {
    await context.db
      .insert(creator)
      .values([...creatorPlays.keys()].map((address) => ({ address }) as typeof creator.$inferInsert))
      .onConflictDoUpdate((current) => ({ plays: current.plays + creatorPlays.get(current.address)! }));
  }
  await context.db.insert(playBatch).values({
    id: batchId,
    root,
    snapshotCid,
    plays,
    tracks: Number(tracks),
    committer: event.transaction.from,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    deltas,
  });
  await updatePlatform(context.db, (p) => ({ plays: p.plays + plays, batches: p.batches + 1 }));
  await addHourlyPlays({ db: context.db, timestamp: event.block.timestamp, plays, trackPlays });
});
