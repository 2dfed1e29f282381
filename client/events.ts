/**
 * The events a fan signs, built and checked as docs/engagement.md's table says, so that what the SDK queues is what
 * the relayer accepts: an event that breaks the table throws `invalid_event` before anything is signed.
 */
import { bytesToHex, isAddress, zeroAddress, zeroHash, type Address, type Hex } from "viem";
import type { Engagement, Play } from "../relayer/src/crypto/eip712.js";
import { BeatStreamClientError } from "./errors.js";

export const SHARE_CHANNELS = ["link", "x", "farcaster", "embed", "other"] as const;
export type ShareChannel = (typeof SHARE_CHANNELS)[number];

export const PLAY_SOURCES = ["search", "playlist", "profile", "radio", "share", "other"] as const;
export type PlaySource = (typeof PLAY_SOURCES)[number];

/** `value` of `playlist_add` that appends, and of `comment` that has no position. */
export const NO_INDEX = 4_294_967_295;

type Uses = {
  track?: true;
  artist?: true;
  subject?: true;
  text?: "name" | "comment" | "channel" | "source";
  value?: "flag" | "index" | "seconds";
};

/** Which fields each action uses (every other field must be zero). */
export const ACTION_FIELDS = {
  like: { track: true },
  unlike: { track: true },
  save: { track: true },
  unsave: { track: true },
  download: { track: true },
  share: { track: true, text: "channel" },
  follow: { artist: true },
  unfollow: { artist: true },
  playlist_create: { subject: true, text: "name", value: "flag" },
  playlist_rename: { subject: true, text: "name" },
  playlist_visibility: { subject: true, value: "flag" },
  playlist_add: { track: true, subject: true, value: "index" },
  playlist_remove: { track: true, subject: true },
  playlist_move: { track: true, subject: true, value: "index" },
  playlist_delete: { subject: true },
  comment: { track: true, subject: true, text: "comment", value: "index" },
  comment_delete: { track: true, subject: true },
  play_complete: { track: true, subject: true, text: "source", value: "seconds" },
  play_skip: { track: true, subject: true, text: "source", value: "seconds" },
} as const satisfies Record<string, Uses>;

export type EngagementAction = keyof typeof ACTION_FIELDS;
export const ENGAGEMENT_ACTIONS = Object.keys(ACTION_FIELDS) as EngagementAction[];

/** The fields a caller gives; what the action does not use is left out (and signed as zero). */
export type EngagementFields = {
  trackId?: bigint | number | string;
  artist?: Address;
  subject?: Hex;
  text?: string;
  value?: number;
};

const TEXT_LIMITS = { name: 100, comment: 500 } as const;
/** Control characters other than newline (the relayer refuses them in texts). */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u;

function invalid(action: string, message: string): never {
  throw new BeatStreamClientError("invalid_event", `${action}: ${message}`);
}

/** A track id as the struct's uint256: a positive integer (ids start at 1). */
export function toTrackId(value: bigint | number | string, action = "trackId"): bigint {
  let id: bigint;
  try {
    id = BigInt(value);
  } catch {
    return invalid(action, `trackId ${String(value)} is not an integer`);
  }
  if (id < 1n || id >= 1n << 256n) invalid(action, `trackId ${id} is out of range (ids start at 1)`);
  return id;
}

/** 32 random bytes from the platform's CSPRNG (`crypto.getRandomValues`, global in browsers and Node ≥ 19). */
export function randomBytes32(): Hex {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** Builds the `Engagement` message for `action`, checked against the table; `text` is NFC-normalised before signing. */
export function buildEngagement({
  fan,
  action,
  fields,
  nonce,
  issuedAt,
}: {
  fan: Address;
  action: EngagementAction;
  fields: EngagementFields;
  nonce: Hex;
  issuedAt: number;
}): Engagement {
  const uses: Uses | undefined = (ACTION_FIELDS as Record<string, Uses>)[action];
  if (uses === undefined) invalid(action, "unknown action");
  const unused = (name: string, given: unknown) => {
    if (given !== undefined) invalid(action, `${name} is not used by this action`);
  };
  let trackId = 0n;
  if (uses.track) trackId = fields.trackId === undefined ? invalid(action, "trackId is required") : toTrackId(fields.trackId, action);
  else unused("trackId", fields.trackId);

  let artist: Address = zeroAddress;
  if (uses.artist) {
    if (fields.artist === undefined || !isAddress(fields.artist, { strict: false }) || BigInt(fields.artist) === 0n) invalid(action, "artist must be a non-zero address");
    artist = fields.artist.toLowerCase() as Address;
  } else unused("artist", fields.artist);

  let subject: Hex = zeroHash;
  if (uses.subject) {
    if (fields.subject === undefined || !/^0x[0-9a-fA-F]{64}$/.test(fields.subject) || BigInt(fields.subject) === 0n) invalid(action, "subject must be a non-zero bytes32");
    subject = fields.subject.toLowerCase() as Hex;
  } else unused("subject", fields.subject);

  let text = "";
  if (uses.text !== undefined) {
    if (typeof fields.text !== "string") invalid(action, "text is required");
    text = fields.text.normalize("NFC");
    if (uses.text === "channel" && !(SHARE_CHANNELS as readonly string[]).includes(text)) invalid(action, `channel must be one of ${SHARE_CHANNELS.join(", ")}`);
    if (uses.text === "source" && !(PLAY_SOURCES as readonly string[]).includes(text)) invalid(action, `source must be one of ${PLAY_SOURCES.join(", ")}`);
    if (uses.text === "name" || uses.text === "comment") {
      const length = [...text].length;
      const max = TEXT_LIMITS[uses.text];
      if (length < 1 || length > max) invalid(action, `text must be 1–${max} characters (has ${length})`);
      if (CONTROL.test(text)) invalid(action, "text holds a control character");
    }
  } else unused("text", fields.text);

  let value = 0;
  if (uses.value !== undefined) {
    value = fields.value ?? (uses.value === "index" ? NO_INDEX : -1);
    if (!Number.isInteger(value) || value < 0 || value > NO_INDEX) invalid(action, "value must be a uint32");
    if (uses.value === "flag" && value > 1) invalid(action, "value must be 1 (public) or 0 (private)");
  } else unused("value", fields.value);

  return { fan, action, trackId, artist, subject, text, value, nonce, issuedAt: BigInt(issuedAt) };
}

/** The JSON the relayer takes for a signed engagement event (integers as decimal strings or numbers, as for plays). */
export type EngagementItem = {
  fan: Address;
  action: string;
  trackId: string;
  artist: Address;
  subject: Hex;
  text: string;
  value: number;
  nonce: Hex;
  issuedAt: number;
  signature: Hex;
};

/** The JSON the relayer takes for a signed play (`POST /v1/plays`). */
export type PlayItem = { listener: Address; trackId: string; startedAt: number; durationSeconds: number; nonce: Hex; signature: Hex };

export function engagementItem(message: Engagement, signature: Hex): EngagementItem {
  return { ...message, trackId: message.trackId.toString(), issuedAt: Number(message.issuedAt), signature };
}

export function playItem(play: Play, signature: Hex): PlayItem {
  return { ...play, trackId: play.trackId.toString(), startedAt: Number(play.startedAt), signature };
}
