import { RelayerError } from "../errors.js";

export type StatsQueryErrorCode = "invalid_range" | "invalid_interval" | "invalid_metric" | "too_many_points";

/** An analytics query the API refuses (400): a range, interval or metric it does not know, or a series too long. */
export class StatsQueryError extends RelayerError {
  declare readonly code: StatsQueryErrorCode;
  constructor(code: StatsQueryErrorCode, message: string) {
    super(code, message);
  }
}
