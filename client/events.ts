/**
 * The events a fan signs, built and checked with the relayer's own field rules (relayer/src/engagement/rules.ts, the
 * one copy of docs/engagement.md's table), so that what the SDK queues is what the relayer accepts: an event that
 * breaks the table throws `invalid_event` before anything is signed.
 */
import { bytesToHex, isAddress, zeroAddress, zeroHash, type Address, type Hex } from "viem";
import type { Engagement, Play } from "../relayer/src/crypto/eip712.js";
import { FIELD_RULES, fieldProblem, NO_VALUE, type EngagementAction, type FieldRule, PLAY_SOURCES, SHARE_CHANNELS } from "../relayer/src/engagement/rules.js";
import { BeatStreamClientError } from "./errors.js";

export { ENGAGEMENT_ACTIONS, FIELD_RULES, NO_VALUE, PLAY_SOURCES, SHARE_CHANNELS, type EngagementAction } from "../relayer/src/engagement/rules.js";

export type ShareChannel = (typeof SHARE_CHANNELS)[number];
export type PlaySource = (typeof PLAY_SOURCES)[number];

/** The fields a caller gives; what the action does not use is left out (and signed as zero). */
export type EngagementFields = {
  trackId?: bigint | number | string;
  artist?: Address;
  subject?: Hex;
  text?: string;
  value?: number;
};

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

/**
 * Builds the `Engagement` message for `action`: the fields the action needs must be there (a track id from 1, a
 * non-zero artist or id), and then the relayer's own field rules (rules.ts: unused fields zero, text lengths,
 * channels, sources, control characters) must hold. `text` is NFC-normalised before signing.
 */
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
  const rule: FieldRule | undefined = (FIELD_RULES as Partial<Record<string, FieldRule>>)[action];
  if (rule === undefined) return invalid(action, "unknown action");
  const need = (used: boolean, given: unknown, name: string) => {
    if (used && given === undefined) invalid(action, `${name} is required`);
  };
  need(rule.track, fields.trackId, "trackId");
  need(rule.artist, fields.artist, "artist");
  need(rule.subject, fields.subject, "subject");
  need(rule.text.kind !== "none", fields.text, "text");
  need(rule.value !== false, fields.value, "value");

  const trackId = fields.trackId === undefined ? 0n : rule.track ? toTrackId(fields.trackId, action) : toUint(fields.trackId, action);
  const artist = (fields.artist ?? zeroAddress).toLowerCase() as Address;
  if (!isAddress(artist, { strict: false }) || (rule.artist && artist === zeroAddress)) invalid(action, "artist must be a non-zero address");
  const subject = (fields.subject ?? zeroHash).toLowerCase() as Hex;
  if (!/^0x[0-9a-f]{64}$/.test(subject) || (rule.subject && subject === zeroHash)) invalid(action, "subject must be a non-zero bytes32");
  const text = (fields.text ?? "").normalize("NFC");
  const value = fields.value ?? 0;
  if (!Number.isInteger(value) || value < 0 || value > NO_VALUE) invalid(action, "value must be a uint32");
  const problem = fieldProblem({ fan: fan.toLowerCase() as Address, trackId, artist, subject, text, value }, rule);
  if (problem !== undefined) invalid(action, problem);
  return { fan, action, trackId, artist, subject, text, value, nonce, issuedAt: BigInt(issuedAt) };
}

function toUint(value: bigint | number | string, action: string): bigint {
  try {
    return BigInt(value);
  } catch {
    return invalid(action, `${String(value)} is not an integer`);
  }
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
