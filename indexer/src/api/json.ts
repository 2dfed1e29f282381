import { replaceBigInts } from "ponder";

/** JSON has no bigints: amounts, ids and times go out as decimal strings, exact at any size. */
export function toJson<T>(value: T) {
  return replaceBigInts(value, (bigint) => bigint.toString());
}
