import { z } from "zod";
import type { Address } from "viem";
import type { EngagementToCheck } from "../crypto/engagement.js";
import { hex, uint } from "../plays/schema.js";
import { ENGAGEMENT_ACTIONS, FIELD_RULES, fieldProblem, MAX_COMMENT, NO_VALUE, type EngagementAction } from "./rules.js";

// The rules are in rules.ts (no zod), which the client SDK imports too; they stay importable from here.
export * from "./rules.js";

const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

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
