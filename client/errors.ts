/**
 * Every failure the SDK raises itself is a `BeatStreamClientError` with a stable `code`; rejections the relayer
 * answers are not thrown but resolved (and passed to `onRejected`), because one bad item must not fail a batch.
 */
export type ClientErrorCode =
  /** An event the relayer would refuse as `invalid_event` (wrong text length, channel, source, id…): nothing signed or queued. */
  | "invalid_event"
  /** The queue holds `maxQueued` events already; nothing was signed into it. */
  | "queue_full"
  /** The client was closed; it queues nothing more. */
  | "closed"
  /** The wallet has no account to sign with. */
  | "no_account"
  /** The tracker was used out of order (end before start, start twice). */
  | "tracker_state";

export class BeatStreamClientError extends Error {
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string) {
    super(message);
    this.name = "BeatStreamClientError";
    this.code = code;
  }
}
