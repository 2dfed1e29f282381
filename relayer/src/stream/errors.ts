import { RelayerError } from "../errors.js";

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
] as const;
export type StreamErrorCode = (typeof STREAM_ERROR_CODES)[number];

/** A refused stream request; `code` is one of `STREAM_ERROR_CODES`. */
export class StreamError extends RelayerError {
  override name = "StreamError";
  declare readonly code: StreamErrorCode;
  constructor(code: StreamErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, { status: options.status ?? statusOf(code), cause: options.cause });
  }
}

function statusOf(code: StreamErrorCode): number {
  switch (code) {
    case "session_not_found":
    case "unknown_track":
      return 404;
    case "storage_unavailable":
    case "chain_unavailable":
    case "too_many_sessions":
    case "streaming_shutdown":
      return 503;
    case "session_closed":
    case "voucher_replayed":
    case "voucher_decreasing":
    case "insufficient_funds":
      return 409;
    default:
      return 400;
  }
}

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
