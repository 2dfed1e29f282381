import { randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import { lowerHex } from "../crypto/hex.js";
import { findSession, reopenSession, type NewSession } from "../repo/sessions.js";
import { StreamError } from "./errors.js";
import { CLOSE_REASONS, type OpenSessionRequest, type OpenedFrame } from "./frames.js";
import { openedFrame, type LiveSession, type SessionContext, type SessionSink } from "./live.js";

/** Who a session pays, as the chain says: a track's creator, and whether an address is a creator at all. */
export type SessionParties = {
  artistOfTrack(trackId: bigint): Promise<Address>;
  isCreator(account: Address): Promise<boolean>;
};

const ZERO_ADDRESS = /^0x0{40}$/;

/**
 * Opens a session, or resumes one: live here (the new connection takes over), or stored (closed by anything but its
 * client). The artist is checked to be a creator before anything is stored or resumed.
 */
export async function openSession(ctx: SessionContext, parties: SessionParties, request: OpenSessionRequest, sink: SessionSink | undefined): Promise<OpenedFrame> {
  const artist = request.artist ?? (await resolveArtist(parties, request.trackId));
  if (artist === request.listener) throw new StreamError("invalid_message", "a listener cannot pay itself");
  // Before anything is stored or resumed: the vault would refuse every voucher of this session at settlement.
  await requireCreator(parties, artist);
  const at = ctx.now();
  if (request.sessionId !== undefined) {
    const current = ctx.live.get(request.sessionId);
    if (current !== undefined) {
      matchOrThrow(current, request, artist);
      moveToSink(current, sink, at);
      return openedFrame(current, true, ctx);
    }
  }
  if (ctx.live.size() >= ctx.rules.maxSessions) throw new StreamError("too_many_sessions", `this relayer holds ${ctx.rules.maxSessions} live sessions`);
  const sessionId: Hex = request.sessionId ?? `0x${randomBytes(32).toString("hex")}`;
  const acked = await storeOrResume(ctx, { sessionId, listener: request.listener, artist, trackId: request.trackId ?? null, ratePerSecond: request.ratePerSecond });
  // Opened a session meanwhile under the same id (two resumes racing): keep the first.
  const raced = ctx.live.get(sessionId);
  if (raced !== undefined) {
    matchOrThrow(raced, request, artist);
    return openedFrame(raced, true, ctx);
  }
  const session: LiveSession = {
    id: sessionId,
    listener: request.listener,
    artist,
    trackId: request.trackId ?? null,
    rate: request.ratePerSecond,
    acked: acked ?? 0n,
    accepted: acked ?? 0n,
    baseAt: at,
    baseAmount: acked ?? 0n,
    lastPaidAt: at,
    sink,
    socketed: sink !== undefined,
    slot: ctx.live.lastSlot(),
    queue: Promise.resolve(),
  };
  ctx.live.add(session);
  // The figure the opened frame shows; a failed read leaves it null (vouchers retry the read).
  if (ctx.funds.available(session.listener) === undefined) await ctx.funds.refresh(session.listener).catch(() => undefined);
  return openedFrame(session, acked !== undefined, ctx);
}

/** A reconnect: the old connection (often half-open) gives way to the new one. */
function moveToSink(session: LiveSession, sink: SessionSink | undefined, at: number): void {
  const old = session.sink;
  if (old !== undefined && old !== sink) {
    try {
      old.send(JSON.stringify({ type: "closed", reason: "replaced", message: CLOSE_REASONS.replaced.message, cumulativeAmount: session.acked.toString() }));
      old.close(CLOSE_REASONS.replaced.code, "replaced");
    } catch {
      // already gone
    }
  }
  session.sink = sink;
  session.socketed ||= sink !== undefined;
  // Time spent away is not billable: the allowance restarts from what was acknowledged.
  session.baseAt = at;
  session.baseAmount = session.acked;
  session.lastPaidAt = at;
}

/** Stores a new session, or reads back the stored one of that id: its acknowledged amount when resumed, undefined when new. */
async function storeOrResume(ctx: SessionContext, fresh: NewSession): Promise<bigint | undefined> {
  const { sessionId } = fresh;
  let created: boolean;
  try {
    created = await ctx.writes.inserts.submit(fresh);
  } catch (error) {
    throw new StreamError("storage_unavailable", "the session could not be stored", { cause: error });
  }
  if (created) return undefined;
  const stored = await findSession(ctx.db, sessionId);
  if (stored === undefined) throw new StreamError("storage_unavailable", `session ${sessionId} vanished while it was opened`);
  if (stored.listener !== fresh.listener || stored.artist !== fresh.artist || BigInt(stored.ratePerSecond) !== fresh.ratePerSecond) {
    throw new StreamError("session_mismatch", `session ${sessionId} belongs to another listener, artist or rate`);
  }
  if (stored.closeReason === "client_closed") throw new StreamError("session_closed", `session ${sessionId} was closed by its client`);
  if (stored.status === "closed") await reopenSession(ctx.db, sessionId);
  return BigInt(stored.cumulativeAmount);
}

async function resolveArtist({ artistOfTrack }: SessionParties, trackId: bigint | undefined): Promise<Address> {
  if (trackId === undefined) throw new StreamError("invalid_message", "give exactly one of artist and trackId");
  let creator: Address;
  try {
    creator = await artistOfTrack(trackId);
  } catch (error) {
    throw new StreamError("chain_unavailable", "the track's creator cannot be read right now", { cause: error });
  }
  if (ZERO_ADDRESS.test(creator)) throw new StreamError("unknown_track", `track ${trackId} is not minted`);
  return lowerHex(creator);
}

async function requireCreator({ isCreator }: SessionParties, artist: Address): Promise<void> {
  let creator: boolean;
  try {
    creator = await isCreator(artist);
  } catch (error) {
    throw new StreamError("chain_unavailable", "whether the artist is a creator cannot be read right now", { cause: error });
  }
  // Otherwise a listener could name an address of its own and take its balance out as earnings, around the vault's delay.
  if (!creator) throw new StreamError("artist_not_creator", `${artist} is not a creator (it has minted no track); name a creator or a trackId`);
}

function matchOrThrow(session: LiveSession, request: OpenSessionRequest, artist: Address): void {
  if (session.listener !== request.listener || session.artist !== artist || session.rate !== request.ratePerSecond) {
    throw new StreamError("session_mismatch", `session ${session.id} belongs to another listener, artist or rate`);
  }
}
