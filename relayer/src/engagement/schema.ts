import { z } from "zod";
import { zeroAddress, type Address, type Hex } from "viem";
import { lowerHex } from "../crypto/hex.js";
import type { EngagementToCheck } from "../crypto/engagement.js";

/** Every action a fan can sign (docs/engagement.md has the table of the fields each one uses). */
export const ENGAGEMENT_ACTIONS = [
  "like",
  "unlike",
  "save",
  "unsave",
  "share",
  "download",
  "follow",
  "unfollow",
  "playlist_create",
  "playlist_rename",
  "playlist_visibility",
  "playlist_add",
  "playlist_remove",
  "playlist_move",
  "playlist_delete",
  "comment",
  "comment_delete",
  "play_complete",
  "play_skip",
] as const;
export type EngagementAction = (typeof ENGAGEMENT_ACTIONS)[number];

export const SHARE_CHANNELS = ["link", "x", "farcaster", "embed", "other"] as const;
export const PLAY_SOURCES = ["search", "playlist", "profile", "radio", "share", "other"] as const;

/** `value` of playlist_add meaning "append", and of comment meaning "no position". */
export const NO_VALUE = 2 ** 32 - 1;
export const MAX_PLAYLIST_NAME = 100;
export const MAX_COMMENT = 500;
export const ZERO_BYTES32: Hex = `0x${"0".repeat(64)}`;

type TextRule = { kind: "none" } | { kind: "enum"; values: readonly string[] } | { kind: "free"; max: number };

/** Which fields an action uses; every other field must be zero. `value: false` means unused (must be 0). */
type FieldRule = { track: boolean; artist: boolean; subject: boolean; text: TextRule; value: boolean | "flag" };

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

const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

/** An unsigned integer as a JSON number (safe integer) or a decimal string, as plays take them. */
const uint = (max: bigint) =>
  z
    .union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^(0|[1-9][0-9]{0,77})$/)])
    .transform((value) => BigInt(value))
    .refine((value) => value <= max, `must be at most ${max}`);

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `must be 0x and ${bytes} bytes of hex`)
    .transform(lowerHex);

/**
 * One item of `POST /v1/engagement`, validated on its own. Raw text is capped in UTF-16 units well above any
 * allowed length, so an oversize string is refused before it is normalised or hashed.
 */
export const signedEngagementSchema = z.object({
  fan: hex(20).transform((value): Address => value),
  action: z.enum(ENGAGEMENT_ACTIONS),
  trackId: uint(MAX_UINT256),
  artist: hex(20).transform((value): Address => value),
  subject: hex(32),
  text: z.string().max(4 * MAX_COMMENT),
  value: uint(BigInt(NO_VALUE)).transform((value) => Number(value)),
  nonce: hex(32),
  issuedAt: uint(MAX_UINT64),
  signature: hex(65),
});

/** A parsed event, with its text in NFC (what a playlist name or comment body shows). */
export type ParsedEngagement = EngagementToCheck & { action: EngagementAction; normalizedText: string };

export type ParseSignedEngagementReturnType = { ok: true; value: ParsedEngagement } | { ok: false; message: string };

// With the u flag a surrogate pair is one code point, so this matches only the unpaired halves.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
// C0 and C1 control characters, DEL, and the line/paragraph separators, but not "\n".
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Validates one untrusted item: shape, then the action's field rules (unused fields zero, texts and enums). */
export function parseSignedEngagement(input: unknown): ParseSignedEngagementReturnType {
  const result = signedEngagementSchema.safeParse(input);
  if (!result.success) {
    return { ok: false, message: result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") };
  }
  const { signature, ...event } = result.data;
  const rule = FIELD_RULES[event.action];
  const problem = fieldProblem(event, rule);
  if (problem !== undefined) return { ok: false, message: `${event.action}: ${problem}` };
  return { ok: true, value: { event, signature, action: event.action, normalizedText: event.text.normalize("NFC") } };
}

function fieldProblem(event: Omit<z.infer<typeof signedEngagementSchema>, "signature">, rule: FieldRule): string | undefined {
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
