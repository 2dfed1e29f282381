/**
 * Gas limits for calls whose cost depends on state that other accounts change. A node's estimate is the least gas
 * that the call needs against the state it was estimated on, to the unit. Between the estimate and the block that
 * mines the call, someone else's transaction can make the same call dearer: a revenue deposit that lands before a
 * coin's first trade makes that trade pay the market's revenue out (about 10,000 gas more on 165,000, measured in
 * test/Protocol.ts), and a trade sent with the bare estimate then runs out of gas and reverts without a reason.
 * Unused gas is refunded, so the margin costs nothing when it is not needed.
 */
export const GAS_MARGIN_PERCENT = 25n;

/** `estimate` plus GAS_MARGIN_PERCENT, the gas limit to send with. */
export function withGasMargin(estimate: bigint): bigint {
  return estimate + (estimate * GAS_MARGIN_PERCENT) / 100n;
}
