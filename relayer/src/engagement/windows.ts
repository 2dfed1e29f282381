/**
 * Time buckets and analytics windows, in UTC unix seconds. A bucket is named by its start: hours and days by
 * truncation, weeks by their Monday (ISO 8601), months and years by their first day. Pure: the rollup and the
 * analytics API both bucket through here, and the tests recount with PostgreSQL's date_trunc to check it.
 */

export const GRAINS = ["hour", "day", "week", "month", "year"] as const;
export type Grain = (typeof GRAINS)[number];

export const RANGES = ["24h", "7d", "30d", "90d", "1y", "all"] as const;
export type Range = (typeof RANGES)[number];

/** The API's intervals: every grain (year included, beyond the hour/day/week/month). */
export const INTERVALS = GRAINS;

/** Most buckets one series may have (hour over 90 days is 2,160: too many). */
export const MAX_POINTS = 1000;

const HOUR = 3600;
const DAY = 86_400;

/** Days in each fixed range. */
const RANGE_DAYS: Record<Exclude<Range, "all">, number> = { "24h": 1, "7d": 7, "30d": 30, "90d": 90, "1y": 365 };
/** A grain's length in days, as ranges are measured (a month is 1/12 of a Julian year). */
const GRAIN_DAYS: Record<Grain, number> = { hour: 1 / 24, day: 1, week: 7, month: 30.4375, year: 365.25 };

/** The start of the `grain` bucket holding `t`. */
export function bucketStart(grain: Grain, t: number): number {
  switch (grain) {
    case "hour":
      return Math.floor(t / HOUR) * HOUR;
    case "day":
      return Math.floor(t / DAY) * DAY;
    case "week": {
      const day = Math.floor(t / DAY);
      // 1970-01-01 was a Thursday: (day + 3) mod 7 is the days since Monday.
      return (day - (((day + 3) % 7) + 7) % 7) * DAY;
    }
    case "month": {
      const date = new Date(t * 1000);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
    }
    case "year":
      return Date.UTC(new Date(t * 1000).getUTCFullYear(), 0, 1) / 1000;
  }
}

/** The start of the bucket `steps` buckets after (or, negative, before) the one starting at `start`. */
export function addBuckets(grain: Grain, start: number, steps: number): number {
  switch (grain) {
    case "hour":
      return start + steps * HOUR;
    case "day":
      return start + steps * DAY;
    case "week":
      return start + steps * 7 * DAY;
    case "month": {
      const date = new Date(start * 1000);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + steps, 1) / 1000;
    }
    case "year":
      return Date.UTC(new Date(start * 1000).getUTCFullYear() + steps, 0, 1) / 1000;
  }
}

/** Buckets a fixed range spans at `grain`: ceil(range / grain), at least 1 (7d at week is 1, 1y at week 53). */
export function bucketsInRange(range: Exclude<Range, "all">, grain: Grain): number {
  return Math.max(1, Math.ceil(RANGE_DAYS[range] / GRAIN_DAYS[grain] - 1e-9));
}

/**
 * A window: `points` whole buckets of `grain`, the last one holding `now`, from `from` (inclusive) to `to`
 * (exclusive); `previous` is the window of as many buckets right before it (absent for `all`).
 */
export type Window = { grain: Grain; points: number; from: number; to: number; starts: number[]; previous?: { from: number; to: number } };

/**
 * The window of `range` at `grain` ending with the bucket holding `now`. For `all` it starts at `firstBucket` (the
 * scope's oldest bucket; the current one when the scope has none). undefined when it would exceed MAX_POINTS.
 */
export function windowOf(range: Range, grain: Grain, now: number, firstBucket?: number): Window | undefined {
  const last = bucketStart(grain, now);
  const to = addBuckets(grain, last, 1);
  let points: number;
  if (range === "all") {
    const first = Math.min(firstBucket ?? last, last);
    points = 1;
    // Counting by stepping (months and years are uneven); bounded by MAX_POINTS.
    for (let start = last; start > first && points <= MAX_POINTS; start = addBuckets(grain, start, -1)) points += 1;
  } else points = bucketsInRange(range, grain);
  if (points > MAX_POINTS) return undefined;
  const from = addBuckets(grain, last, -(points - 1));
  const starts = Array.from({ length: points }, (_, index) => addBuckets(grain, from, index));
  return { grain, points, from, to, starts, ...(range === "all" ? {} : { previous: { from: addBuckets(grain, from, -points), to: from } }) };
}

/** The interval a range is shown at when none is asked for. */
export const DEFAULT_INTERVAL: Record<Range, Grain> = { "24h": "hour", "7d": "day", "30d": "day", "90d": "week", "1y": "month", all: "month" };

/** The grain top lists and trending read for a range: the coarsest that still tiles it in ≥ 7 buckets, or fewer. */
export const RANKING_GRAIN: Record<Exclude<Range, "all">, Grain> = { "24h": "hour", "7d": "day", "30d": "day", "90d": "week", "1y": "month" };
