import { RelayerError, type ErrorCode } from "../errors.js";

/**
 * Why a voucher or a session request was refused. The same codes travel in WebSocket `error` frames and in the
 * HTTP error shape; clients match on them, so never rename one.
 */
export const STREAM_ERROR_CODES = [
  "invalid_json",
  "invalid_message",
  "no_session",
  "session_already_open",
  "session_not_found",
  "session_mismatch",
  "session_closed",
  "unknown_track",
  "artist_not_creator",
  "invalid_signature",
  "voucher_replayed",
  "voucher_decreasing",
  "voucher_exceeds_elapsed",
  "insufficient_funds",
  "deadline_too_soon",
  "storage_unavailable",
  "chain_unavailable",
  "too_many_sessions",
  "streaming_shutdown",
] as const satisfies readonly ErrorCode[];
export type StreamErrorCode = (typeof STREAM_ERROR_CODES)[number];

/** A refused stream request; `code` is one of `STREAM_ERROR_CODES` (statuses in ../errors.ts). */
export class StreamError extends RelayerError {
  declare readonly code: StreamErrorCode;
  constructor(code: StreamErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}
