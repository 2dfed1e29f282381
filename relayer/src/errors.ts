/**
 * Every failure the relayer raises is a `RelayerError` with a stable, machine-readable `code`.
 * The HTTP layer maps `status` and `code` to `{ "error": { "code", "message" } }`; the CLI prints them.
 * Codes are part of the public API: clients and operators match on them, so never rename one.
 */
export class RelayerError extends Error {
  override name = "RelayerError";
  readonly code: string;
  /** HTTP status the API answers with when this error reaches it (500 for internal failures). */
  readonly status: number;

  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 500;
  }
}

/** An environment variable holds a value the relayer cannot run with. */
export class ConfigError extends RelayerError {
  override name = "ConfigError";
  constructor(message: string) {
    super("invalid_config", message);
  }
}

/** `deployments/<chainId>.json` is missing or does not describe the contracts the relayer needs. */
export class DeploymentsError extends RelayerError {
  override name = "DeploymentsError";
  constructor(message: string, cause?: unknown) {
    super("invalid_deployments", message, { cause });
  }
}

/** A native addon (secp256k1 or keccak) did not load; the pure-JS fallbacks are 7–20× slower, so the relayer refuses to start. */
export class NativeBindingError extends RelayerError {
  override name = "NativeBindingError";
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
  override name = "VerifierPoolError";
  constructor(message: string, cause?: unknown) {
    super("verifier_unavailable", message, { cause, status: 503 });
  }
}

/** A migration failed; the database is left at the last applied version. */
export class MigrationError extends RelayerError {
  override name = "MigrationError";
  constructor(version: number, cause: unknown) {
    super("migration_failed", `migration ${version} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** A read from the chain failed (RPC down, wrong chain, contract missing). */
export class ChainReadError extends RelayerError {
  override name = "ChainReadError";
  constructor(what: string, cause: unknown) {
    super("chain_unavailable", `chain read failed (${what}): ${cause instanceof Error ? cause.message : String(cause)}`, {
      status: 503,
      cause,
    });
  }
}

/** The request body is not valid JSON. */
export class InvalidJsonError extends RelayerError {
  override name = "InvalidJsonError";
  constructor() {
    super("invalid_json", "the request body is not valid JSON", { status: 400 });
  }
}

/** The request body exceeds BODY_LIMIT_BYTES. */
export class BodyTooLargeError extends RelayerError {
  override name = "BodyTooLargeError";
  constructor(limitBytes: number) {
    super("body_too_large", `the request body exceeds ${limitBytes} bytes`, { status: 413 });
  }
}

/** More plays in one request than the API takes. */
export class TooManyPlaysError extends RelayerError {
  override name = "TooManyPlaysError";
  constructor(max: number) {
    super("too_many_plays", `a request carries at most ${max} plays`, { status: 400 });
  }
}

/** A path, query or body failed its schema. */
export class InvalidRequestError extends RelayerError {
  override name = "InvalidRequestError";
  constructor(message: string) {
    super("invalid_request", message, { status: 400 });
  }
}

/** The addressed resource does not exist. */
export class NotFoundError extends RelayerError {
  override name = "NotFoundError";
  constructor(what: string) {
    super("not_found", `${what} not found`, { status: 404 });
  }
}

/** An operator endpoint was called without the operator API key. */
export class UnauthorizedError extends RelayerError {
  override name = "UnauthorizedError";
  constructor(message = "operator endpoints need Authorization: Bearer <OPERATOR_API_KEY>") {
    super("unauthorized", message, { status: 401 });
  }
}

/** Operator endpoints are off because no OPERATOR_API_KEY is configured. */
export class OperatorApiDisabledError extends RelayerError {
  override name = "OperatorApiDisabledError";
  constructor() {
    super("operator_api_disabled", "operator endpoints are disabled: set OPERATOR_API_KEY to enable them", {
      status: 403,
    });
  }
}
