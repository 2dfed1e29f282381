/**
 * What each engagement action may carry (docs/engagement.md's table), as plain data and functions with no
 * dependency but viem and the signed struct's vocabulary (crypto/eip712.ts): the relayer's input schema (schema.ts) and the client SDK (client/events.ts) both check events
 * with these, so a client can never sign an event the relayer then calls `invalid_event` for a field rule.
 */
import { zeroAddress, type Address, type Hex } from "viem";
import { ENGAGEMENT_ACTIONS, PLAY_SOURCES, SHARE_CHANNELS, type EngagementAction } from "../crypto/eip712.js";

export { ENGAGEMENT_ACTIONS, PLAY_SOURCES, SHARE_CHANNELS, type EngagementAction };

/** `value` of playlist_add meaning "append", and of comment meaning "no position". */
export const NO_VALUE = 2 ** 32 - 1;
export const MAX_PLAYLIST_NAME = 100;
export const MAX_COMMENT = 500;
export const ZERO_BYTES32: Hex = `0x${"0".repeat(64)}`;

export type TextRule = { kind: "none" } | { kind: "enum"; values: readonly string[] } | { kind: "free"; max: number };

/** Which fields an action uses; every other field must be zero. `value: false` means unused (must be 0). */
export type FieldRule = { track: boolean; artist: boolean; subject: boolean; text: TextRule; value: boolean | "flag" };

const NONE: TextRule = { kind: "none" };
const trackOnly: FieldRule = { track: true, artist: false, subject: false, text: NONE, value: false };
const playOutcome: FieldRule = { track: true, artist: false, subject: true, text: { kind: "enum", values: PLAY_SOURCES }, value: true };

export const FIELD_RULES: Record<EngagementAction, FieldRule> = {
  like: trackOnly,
  unlike: trackOnly,
  save: trackOnly,
  unsave: trackOnly,
  download: trackOnly,
  share: { ...trackOnly, text: { kind: "enum", values: SHARE_CHANNELS } },
  follow: { track: false, artist: true, subject: false, text: NONE, value: false },
  unfollow: { track: false, artist: true, subject: false, text: NONE, value: false },
  playlist_create: { track: false, artist: false, subject: true, text: { kind: "free", max: MAX_PLAYLIST_NAME }, value: "flag" },
  playlist_rename: { track: false, artist: false, subject: true, text: { kind: "free", max: MAX_PLAYLIST_NAME }, value: false },
  playlist_visibility: { track: false, artist: false, subject: true, text: NONE, value: "flag" },
  playlist_add: { track: true, artist: false, subject: true, text: NONE, value: true },
  playlist_remove: { track: true, artist: false, subject: true, text: NONE, value: false },
  playlist_move: { track: true, artist: false, subject: true, text: NONE, value: true },
  playlist_delete: { track: false, artist: false, subject: true, text: NONE, value: false },
  comment: { track: true, artist: false, subject: true, text: { kind: "free", max: MAX_COMMENT }, value: true },
  comment_delete: { track: true, artist: false, subject: true, text: NONE, value: false },
  play_complete: playOutcome,
  play_skip: playOutcome,
};

/** The signed fields the rules look at (integers as the struct has them). */
export type EngagementFieldsToCheck = { fan: Address; trackId: bigint; artist: Address; subject: Hex; text: string; value: number };

// With the u flag a surrogate pair is one code point, so this matches only the unpaired halves.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
// C0 and C1 control characters, DEL, and the line/paragraph separators, but not "\n".
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;

/** What is wrong with an event's fields for its action (unused fields zero, texts, enums), or undefined. Addresses lowercase. */
export function fieldProblem(event: EngagementFieldsToCheck, rule: FieldRule): string | undefined {
  if (!rule.track && event.trackId !== 0n) return "trackId must be 0";
  if (!rule.artist && event.artist !== zeroAddress) return "artist must be the zero address";
  // Followers feed the follower milestone: an artist cannot count itself.
  if (rule.artist && event.artist === event.fan) return "a fan cannot follow itself";
  if (!rule.subject && event.subject !== ZERO_BYTES32) return "subject must be zero";
  if (rule.value === false && event.value !== 0) return "value must be 0";
  if (rule.value === "flag" && event.value > 1) return "value must be 0 (private) or 1 (public)";
  return textProblem(event.text, rule.text);
}

function textProblem(text: string, rule: TextRule): string | undefined {
  if (rule.kind === "none") return text === "" ? undefined : "text must be empty";
  if (rule.kind === "enum") return rule.values.includes(text) ? undefined : `text must be one of ${rule.values.join(", ")}`;
  // A lone surrogate has no UTF-8 form: what the wallet signed cannot be what we would hash.
  if (LONE_SURROGATE.test(text)) return "text is not well-formed Unicode";
  if (CONTROL.test(text)) return "text must not hold control characters other than newline";
  const length = [...text.normalize("NFC")].length;
  if (length < 1 || length > rule.max) return `text must be 1 to ${rule.max} characters`;
  if (text.trim() === "") return "text must not be blank";
  return undefined;
}
