// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RevenueMath
/// @notice Fixed-point math of the per-coin revenue accumulator, of the unlocking of revenue over time, and of
/// linear vesting.
/// @dev The accumulator `revenuePerToken` counts USDC units (6 decimals) per coin unit (18 decimals),
/// scaled by PRECISION. Every rounding favours the pool: holder shares round down, the eligible supply is
/// counted in whole UNITs rounded up, what unlocks rounds down, and the share of an unlock that the
/// accumulator represents is rounded up, so Σ claimable ≤ Σ deposited always.
///
/// Widths (they are packed in CreatorCoin; the proof that they hold in realistic use):
/// - balances and supply < 2^96 ≈ 7.9e28 (the factory caps supply at 1e28 = 10 billion coins), so the
///   eligible supply in UNITs (1e9 coin units) stays below 2^64;
/// - locked revenue < 2^64 ≈ 1.8e19 units = 18 trillion USDC (checked, reverts otherwise);
/// - the accumulator grows by `amount * 1e27 / eligibleSupply` with eligibleSupply ≥ 1e18, i.e. by at most
///   1e9 per USDC unit per whole coin, so reaching 2^96 needs 7.9e19 units (79 trillion USDC) paid to every
///   single whole eligible coin: unreachable, and checked anyway;
/// - a holder's owed < 2^64 units = 18 trillion USDC unclaimed by one holder (checked).
/// Intermediate products are below 2^96 · 2^96 or 2^64 · 1e27, far from 2^256.
library RevenueMath {
    /// @dev Scale of the accumulator. With supply ≤ 1e28 and PRECISION 1e27 one accumulator unit is worth at
    /// most 10 USDC units over the whole eligible supply, so a deposit of a few units still moves it.
    uint256 internal constant PRECISION = 1e27;
    /// @dev The eligible supply is kept in units of 1e9 coin units (a billionth of a coin), rounded up, so that
    /// it fits 64 bits beside the accumulator, the unlock clock and the locked revenue in one storage slot.
    uint256 internal constant UNIT = 1e9;
    /// @dev PRECISION per UNIT: the accumulator's scale when supply is counted in UNITs.
    uint256 internal constant UNIT_PRECISION = PRECISION / UNIT;

    /// @notice Revenue that unlocks from `locked` over `elapsed` seconds: locked · elapsed / (elapsed + unlockTime),
    /// rounded down. Monotone in `elapsed` and never above locked · elapsed / unlockTime, so however often it is
    /// applied, what unlocks in any interval of h seconds is at most (locked at its start) · h / unlockTime.
    function unlocked(uint256 locked, uint256 elapsed, uint256 unlockTime) internal pure returns (uint256) {
        // locked < 2^64 and elapsed < 2^32 (both packed widths): the product is below 2^96.
        unchecked {
            return (locked * elapsed) / (elapsed + unlockTime);
        }
    }

    /// @notice USDC accrued by `balance` (< 2^96) while the accumulator (< 2^96) moved from `snapshot` to
    /// `accumulator`.
    function accrued(uint256 balance, uint256 accumulator, uint256 snapshot) internal pure returns (uint256) {
        uint256 increase = accumulator - snapshot;
        // balance < 2^96 and increase < 2^96, so the product is below 2^192.
        unchecked {
            return (balance * increase) / PRECISION;
        }
    }

    /// @notice Accumulator increase that spreads `amount` (< 2^64) over `eligibleUnits` UNITs (rounded down).
    function perTokenIncrease(uint256 amount, uint256 eligibleUnits) internal pure returns (uint256) {
        // amount < 2^64 and PRECISION / UNIT = 1e18 < 2^60: the product is below 2^124. Dividing by
        // eligibleUnits · UNIT with PRECISION, or by eligibleUnits with PRECISION / UNIT, is the same number.
        unchecked {
            return (amount * UNIT_PRECISION) / eligibleUnits;
        }
    }

    /// @notice USDC that an accumulator `increase` (a perTokenIncrease of an amount < 2^64) hands out over
    /// `eligibleUnits` UNITs, rounded UP so that what stays locked is never overstated.
    function distributed(uint256 increase, uint256 eligibleUnits) internal pure returns (uint256) {
        // increase·units ≤ amount·UNIT_PRECISION < 2^124 by construction.
        unchecked {
            // Ceil division. amount is an integer and increase·units ≤ amount·UNIT_PRECISION, so this is ≤ amount.
            return (increase * eligibleUnits + UNIT_PRECISION - 1) / UNIT_PRECISION;
        }
    }

    /// @notice Part of `allocation` vested at `timestamp` when vesting runs linearly from `start` for `duration`.
    function vested(uint256 allocation, uint256 start, uint256 duration, uint256 timestamp)
        internal
        pure
        returns (uint256)
    {
        if (timestamp > start) {
            uint256 elapsed = timestamp - start;
            // A zero duration vests everything at once (elapsed < 0 is never true).
            return elapsed < duration ? (allocation * elapsed) / duration : allocation;
        }
        return 0;
    }
}
