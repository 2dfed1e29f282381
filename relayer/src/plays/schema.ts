import { z } from "zod";
import type { Address } from "viem";
import type { PlayToCheck } from "../crypto/signatures.js";
import { lowerHex } from "../crypto/hex.js";

const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT32 = 2 ** 32 - 1;

/**
 * An unsigned integer as a JSON number (safe integer) or a decimal string (for values beyond 2^53): the wire form of
 * every signed integer field (plays, engagement events).
 */
export const uint = (max: bigint) =>
  z
    .union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^(0|[1-9][0-9]{0,77})$/)])
    .transform((value) => BigInt(value))
    .refine((value) => value <= max, `must be at most ${max}`);

/** `bytes` bytes of 0x-hex in any case, stored lowercase: the wire form of every signed address and byte field. */
export const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `must be 0x and ${bytes} bytes of hex`)
    // One spelling per value, so (listener, nonce) deduplicates whatever case the client sent.
    .transform(lowerHex);

/** One item of `POST /v1/plays`, validated on its own so one malformed item does not sink the request. */
export const signedPlaySchema = z.object({
  listener: hex(20).transform((value): Address => value),
  trackId: uint(MAX_UINT256),
  startedAt: uint(MAX_UINT64),
  durationSeconds: z.number().int().nonnegative().max(MAX_UINT32),
  nonce: hex(32),
  signature: hex(65),
});

export type ParseSignedPlayReturnType = { ok: true; value: PlayToCheck } | { ok: false; message: string };

/** Validates one untrusted item into a play and its signature, ready for the signature check. */
export function parseSignedPlay(input: unknown): ParseSignedPlayReturnType {
  const result = signedPlaySchema.safeParse(input);
  if (!result.success) {
    return { ok: false, message: result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") };
  }
  const { signature, ...play } = result.data;
  return { ok: true, value: { play, signature } };
}
