import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { lowerHex } from "../crypto/hex.js";

const UINT256_MAX = (1n << 256n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

export const addressSchema = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "must be a 0x-prefixed 20-byte address")
  .transform((value): Address => lowerHex(getAddress(value)));

export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x and 32 bytes of hex")
  .transform(lowerHex);

/** A uint in decimal (a string, since amounts exceed 2^53; a safe JSON integer is taken too). */
const uint = (max: bigint, what: string) =>
  z
    .union([z.string().regex(/^(0|[1-9][0-9]{0,77})$/, `${what} must be a decimal integer`), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .transform((value) => BigInt(value))
    .refine((value) => value <= max, `${what} is out of range`);

export const amountSchema = uint(UINT256_MAX, "amount");
export const deadlineSchema = uint(UINT64_MAX, "deadline");

export const signatureSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature in hex")
  .transform(lowerHex);

/** What opens (or resumes) a session: the listener, whom it pays (an artist, or a track whose creator is paid), the rate. */
export const openSessionSchema = z
  .object({
    listener: addressSchema,
    artist: addressSchema.optional(),
    trackId: uint(UINT256_MAX, "trackId").refine((value) => value > 0n, "trackId must be positive").optional(),
    ratePerSecond: amountSchema.refine((value) => value > 0n, "ratePerSecond must be positive"),
    sessionId: bytes32Schema.optional(),
  })
  .refine((open) => (open.artist === undefined) !== (open.trackId === undefined), "give exactly one of artist and trackId");
export type OpenSessionRequest = z.output<typeof openSessionSchema>;

/** A voucher of the session the socket holds (HTTP names the session). */
export const voucherFieldsSchema = z.object({
  cumulativeAmount: amountSchema,
  deadline: deadlineSchema,
  signature: signatureSchema,
});
export type VoucherFields = z.output<typeof voucherFieldsSchema>;

/** Every frame a client may send over `/v1/stream`. */
export const clientFrameSchema = z.discriminatedUnion("type", [
  openSessionSchema.safeExtend({ type: z.literal("open") }),
  voucherFieldsSchema.extend({ type: z.literal("voucher") }),
  z.object({ type: z.literal("close") }),
]);
export type ClientFrame = z.output<typeof clientFrameSchema>;

/** The session as `opened` describes it (amounts as decimal strings). */
export type OpenedFrame = {
  type: "opened";
  sessionId: Hex;
  listener: Address;
  artist: Address;
  trackId: string | null;
  ratePerSecond: string;
  /** The acknowledged cumulative amount so far (non-zero on a resume). */
  cumulativeAmount: string;
  /** The listener's spendable funds as the relayer sees them, or null when the chain could not be read. */
  remaining: string | null;
  voucherIntervalSeconds: number;
  graceSeconds: number;
  silenceSeconds: number;
  minVoucherTtlSeconds: number;
  resumed: boolean;
};

export type TickFrame = { type: "tick"; elapsed: number; due: string; acked: string; remaining: string | null };
export type AckFrame = { type: "ack"; cumulativeAmount: string; remaining: string | null };
export type ErrorFrame = { type: "error"; code: string; message: string; ref?: string; cumulativeAmount?: string };
export type ClosedFrame = { type: "closed"; reason: string; message: string; cumulativeAmount: string };
export type ServerFrame = OpenedFrame | TickFrame | AckFrame | ErrorFrame | ClosedFrame;

/**
 * Why a session ended, in the `closed` frame and as the WebSocket close reason. `client_closed` and `replaced` are
 * normal endings; the others are the server's decision.
 */
export const CLOSE_REASONS = {
  client_closed: { code: 1000, message: "the client closed the session" },
  insufficient_funds: { code: 4001, message: "the listener's vault balance no longer covers the stream" },
  silent: { code: 4002, message: "no voucher within the silence timeout" },
  underpaid: { code: 4003, message: "vouchers lag too far behind the elapsed time" },
  replaced: { code: 4004, message: "the session was resumed on another connection" },
  server_shutdown: { code: 1001, message: "the relayer is shutting down; resume the session later" },
  disconnected: { code: 1006, message: "the connection dropped" },
} as const;
export type CloseReason = keyof typeof CLOSE_REASONS;
