/**
 * Every failure the relayer raises is a `RelayerError` with a stable, machine-readable `code`. This file is the one
 * place that says what a code means to a client: its HTTP status (`ERROR_STATUS`) and what the API and the
 * WebSocket `error` frame show (`publicErrorOf`). The per-folder error files (chain/, evidence/, stores/, stream/,
 * batcher/) only name their classes and messages. Codes are part of the public API: clients and operators match on
 * them, so never rename one.
 */

/** HTTP status of every code; the 500s are the relayer's own failures (or the chain's, the store's, the operator's). */
export const ERROR_STATUS = {
  // Requests the API refuses.
  invalid_json: 400,
  invalid_request: 400,
  too_many_plays: 400,
  too_many_events: 400,
  body_too_large: 413,
  not_found: 404,
  unauthorized: 401,
  read_auth_invalid: 401,
  read_auth_expired: 401,
  read_auth_wrong_signer: 401,
  operator_api_disabled: 403,
  // Parts that are down for now: retry later.
  verifier_unavailable: 503,
  chain_unavailable: 503,
  storage_unavailable: 503,
  receipt_timeout: 503,
  batcher_stopped: 503,
  batcher_disabled: 503,
  store_unavailable: 503,
  // Start-up, configuration and operator failures.
  invalid_config: 500,
  invalid_deployments: 500,
  native_binding_missing: 500,
  migration_failed: 500,
  missing_role: 500,
  cli_usage: 500,
  // Chain writes and the batch and settlement pipelines.
  chain_reverted: 500,
  batch_conflict: 500,
  batch_state: 500,
  settlement_state: 500,
  distribution_state: 500,
  // Batch evidence and snapshot stores.
  invalid_play: 500,
  duplicate_play: 500,
  empty_batch: 500,
  unknown_track_creator: 500,
  track_id_too_large: 500,
  invalid_delta: 500,
  play_not_in_tree: 500,
  snapshot_invalid: 500,
  snapshot_not_canonical: 500,
  invalid_engagement_evidence: 500,
  invalid_cid: 400,
  snapshot_not_found: 404,
  snapshot_corrupt: 500,
  store_cid_mismatch: 500,
  store_bad_response: 500,
  store_timeout: 500,
  store_config_invalid: 500,
  // Stream sessions and vouchers (also sent in WebSocket `error` frames).
  invalid_message: 400,
  no_session: 400,
  session_already_open: 400,
  session_not_found: 404,
  session_mismatch: 400,
  session_closed: 409,
  unknown_track: 404,
  artist_not_creator: 400,
  invalid_signature: 400,
  voucher_replayed: 409,
  voucher_decreasing: 409,
  voucher_exceeds_elapsed: 400,
  insufficient_funds: 409,
  deadline_too_soon: 400,
  too_many_sessions: 503,
  streaming_shutdown: 503,
  // Analytics queries (GET /v1/stats/…).
  invalid_range: 400,
  invalid_interval: 400,
  invalid_metric: 400,
  too_many_points: 400,
} as const satisfies Record<string, HttpErrorStatus>;

/** The statuses errors answer with (a literal union, as Hono's `c.json` wants). */
export type HttpErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 500 | 503;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class RelayerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    // The subclass's own name (ChainRevertError, StreamError, …) in stacks and logs.
    this.name = new.target.name;
  }

  /** HTTP status the API answers with when this error reaches it. */
  get status(): HttpErrorStatus {
    return ERROR_STATUS[this.code];
  }
}

/** What a client is told about a failure, over HTTP and in a WebSocket `error` frame. */
export type PublicError = { code: ErrorCode | "internal_error"; message: string; status: HttpErrorStatus };

/** A `RelayerError` as it is; anything else hides behind `internal_error` (its details go to the log, not the client). */
export function publicErrorOf(error: unknown): PublicError {
  if (error instanceof RelayerError) return { code: error.code, message: error.message, status: error.status };
  return { code: "internal_error", message: "internal error", status: 500 };
}

/**
 * Errors of batch evidence (tree, deltas, snapshot, CIDs) and of the snapshot stores: `EvidenceError` is their
 * branch of `RelayerError` (the auditor tells evidence faults from other failures by it); classes in crypto/, evidence/
 * and stores/.
 */
export type EvidenceErrorCode =
  | "invalid_play"
  | "duplicate_play"
  | "empty_batch"
  | "unknown_track_creator"
  | "track_id_too_large"
  | "invalid_delta"
  | "play_not_in_tree"
  | "snapshot_invalid"
  | "snapshot_not_canonical"
  | "invalid_engagement_evidence"
  | "invalid_cid"
  | "snapshot_not_found"
  | "snapshot_corrupt"
  | "store_cid_mismatch"
  | "store_bad_response"
  | "store_timeout"
  | "store_unavailable"
  | "store_config_invalid";

/** An evidence or store failure; `code` is one of `EvidenceErrorCode`. */
export class EvidenceError extends RelayerError {
  declare readonly code: EvidenceErrorCode;
  constructor(code: EvidenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** An environment variable holds a value the relayer cannot run with. */
export class ConfigError extends RelayerError {
  constructor(message: string) {
    super("invalid_config", message);
  }
}

/** `deployments/<chainId>.json` is missing or does not describe the contracts the relayer needs. */
export class DeploymentsError extends RelayerError {
  constructor(message: string, cause?: unknown) {
    super("invalid_deployments", message, { cause });
  }
}

/** A native addon (secp256k1 or keccak) did not load; the pure-JS fallbacks are 7–20× slower, so the relayer refuses to start. */
export class NativeBindingError extends RelayerError {
  constructor(cause: unknown) {
    super(
      "native_binding_missing",
      `${cause instanceof Error ? cause.message : "a native binding did not load"}; reinstall with install scripts allowed`,
      { cause },
    );
  }
}

/** A signature-check worker thread died or the pool is closed: checks in flight fail instead of hanging. */
export class VerifierPoolError extends RelayerError {
  constructor(message: string, cause?: unknown) {
    super("verifier_unavailable", message, { cause });
  }
}

/** A migration failed; the database is left at the last applied version. */
export class MigrationError extends RelayerError {
  constructor(version: number, cause: unknown) {
    super("migration_failed", `migration ${version} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** The request body is not valid JSON. */
export class InvalidJsonError extends RelayerError {
  constructor() {
    super("invalid_json", "the request body is not valid JSON");
  }
}

/** The request body exceeds BODY_LIMIT_BYTES. */
export class BodyTooLargeError extends RelayerError {
  constructor(limitBytes: number) {
    super("body_too_large", `the request body exceeds ${limitBytes} bytes`);
  }
}

/** More plays in one request than the API takes. */
export class TooManyPlaysError extends RelayerError {
  constructor(max: number) {
    super("too_many_plays", `a request carries at most ${max} plays`);
  }
}

/** More engagement events in one request than the API takes. */
export class TooManyEventsError extends RelayerError {
  constructor(max: number) {
    super("too_many_events", `a request carries at most ${max} events`);
  }
}

/**
 * A fan's read-access proof (`Authorization: BeatStream <expiry>.<signature>`, docs/engagement.md "Reads") that is
 * malformed or forged, expired, or signed by someone other than the owner of what it asks for.
 */
export class ReadAuthError extends RelayerError {
  constructor(code: "read_auth_invalid" | "read_auth_expired" | "read_auth_wrong_signer", message: string) {
    super(code, message);
  }
}

/** A path, query or body failed its schema. */
export class InvalidRequestError extends RelayerError {
  constructor(message: string) {
    super("invalid_request", message);
  }
}

/** The addressed resource does not exist. */
export class NotFoundError extends RelayerError {
  constructor(what: string) {
    super("not_found", `${what} not found`);
  }
}

/** An operator endpoint was called without the operator API key. */
export class UnauthorizedError extends RelayerError {
  constructor(message = "operator endpoints need Authorization: Bearer <OPERATOR_API_KEY>") {
    super("unauthorized", message);
  }
}

/** Operator endpoints are off because no OPERATOR_API_KEY is configured. */
export class OperatorApiDisabledError extends RelayerError {
  constructor() {
    super("operator_api_disabled", "operator endpoints are disabled: set OPERATOR_API_KEY to enable them");
  }
}
