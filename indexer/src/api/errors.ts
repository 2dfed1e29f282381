/**
 * Every failure the API answers is an `IndexerApiError` with a stable `code` and an HTTP status; `onError` in
 * index.ts maps it to `{ "error": { "code", "message" } }`. Codes are public API: never rename one.
 */
export class IndexerApiError extends Error {
  override name = "IndexerApiError";
  readonly code: string;
  readonly status: 400 | 404 | 500;

  constructor(code: string, message: string, status: 400 | 404 | 500) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** A path or query parameter failed validation. */
export class InvalidParameterError extends IndexerApiError {
  override name = "InvalidParameterError";
  constructor(message: string) {
    super("invalid_parameter", message, 400);
  }
}

/** A `cursor` that this API did not hand out (or for another route). */
export class InvalidCursorError extends IndexerApiError {
  override name = "InvalidCursorError";
  constructor() {
    super("invalid_cursor", "cursor is not one this route returned as nextCursor", 400);
  }
}

/** The resource does not exist (yet): `code` names it, e.g. `track_not_found`. */
export class NotFoundError extends IndexerApiError {
  override name = "NotFoundError";
  constructor(code: string, message: string) {
    super(code, message, 404);
  }
}
