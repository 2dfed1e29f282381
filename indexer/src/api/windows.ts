import { bucketStart } from "../../lib/math.js";

const HOUR = 3_600n;

/** Hours in each rolling window of the API; a window is the current UTC hour and the ones before it. */
export const WINDOW_HOURS = { "24h": 24n, "7d": 168n, "30d": 720n } as const;
export type Window = keyof typeof WINDOW_HOURS;

/** First hour bucket inside the `hours`-hour window that ends at `at`. */
export function windowStart(at: bigint, hours: bigint): bigint {
  return bucketStart(at, HOUR) - (hours - 1n) * HOUR;
}

/** First second after the hour holding `at`: a window's hours end here (the hour holding `at` counts whole). */
export function windowEnd(at: bigint): bigint {
  return bucketStart(at, HOUR) + HOUR;
}
