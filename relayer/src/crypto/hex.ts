import type { Hex } from "viem";

/** Lowercase hex: the one spelling the relayer stores, sorts and compares; `0x` is rebuilt so the result stays `Hex`. */
export function lowerHex(value: string): Hex {
  return `0x${value.slice(2).toLowerCase()}`;
}

/** Writes `value` big-endian into the `bytes` bytes of `target` at `offset` (left zeros as they are: callers zero the range). */
export function writeUintBE(target: Buffer, offset: number, bytes: number, value: bigint): void {
  let rest = value;
  for (let index = offset + bytes - 1; rest > 0n && index >= offset; index--) {
    target[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}
