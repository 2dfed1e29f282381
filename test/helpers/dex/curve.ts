/**
 * Reference model of CurveMath and of MusicDEX's pricing, written independently of the Solidity: the tests
 * compute every quote and swap from it.
 */

/** CurveMath.fee: 2.5 %, rounded up. */
export const feeOf = (amount: bigint) => (amount * 250n + 9_999n) / 10_000n;

/** CurveMath.splitFee: creator 1 %, treasury 0.5 % (both rounded down), holders the rest. */
export const split = (fee: bigint) => {
  const creator = (fee * 100n) / 250n;
  const treasury = (fee * 50n) / 250n;
  return { creator, holders: fee - creator - treasury, treasury };
};

/** A buy of `usdcIn` (fee included) on the curve (x, y) = (virtualUsdc + usdcReserve, coinReserve). */
export const buyOut = (x: bigint, y: bigint, usdcIn: bigint) => {
  const fee = feeOf(usdcIn);
  const net = usdcIn - fee;
  return { coins: (y * net) / (x + net), fee, net };
};

/** A sell of `coinsIn` on the curve (x, y) = (sellVirtualUsdc + usdcReserve, coinReserve). */
export const sellOut = (x: bigint, y: bigint, coinsIn: bigint) => {
  const gross = (x * coinsIn) / (y + coinsIn);
  const fee = feeOf(gross);
  return { gross, fee, usdc: gross - fee };
};

/** MusicDEX's sell curve virtual reserve: min(virtualUsdc, usdcReserve · coinReserve / outstanding), rounded down. */
export const backedVirtualUsdc = (virtualUsdc: bigint, usdcReserve: bigint, coinReserve: bigint, outstanding: bigint) =>
  usdcReserve * coinReserve >= virtualUsdc * outstanding ? virtualUsdc : (usdcReserve * coinReserve) / outstanding;
