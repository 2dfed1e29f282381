// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RevenueMath
/// @notice Fixed-point math of the per-coin revenue accumulator and of linear vesting.
/// @dev The accumulator `revenuePerToken` counts USDC units (6 decimals) per coin unit (18 decimals),
/// scaled by PRECISION. Every rounding favours the pool: holder shares round down, and the share of a
/// deposit that the accumulator represents is rounded up, so Σ claimable ≤ Σ deposited always.
///
/// Widths (they are packed in CreatorCoin; the proof that they hold in realistic use):
/// - balances and supply < 2^96 ≈ 7.9e28 (the factory caps supply at 1e28 = 10 billion coins);
/// - a deposit plus carry < 2^64 ≈ 1.8e19 units = 18 trillion USDC (checked, reverts otherwise);
/// - the accumulator grows by `amount * 1e27 / eligibleSupply` with eligibleSupply ≥ 1e18, i.e. by at most
///   1e9 per USDC unit per whole coin, so reaching 2^96 needs 7.9e19 units (79 trillion USDC) paid to every
///   single whole eligible coin: unreachable, and checked anyway;
/// - a holder's owed < 2^64 units = 18 trillion USDC unclaimed by one holder (checked).
/// Intermediate products are below 2^96 · 2^96 or 2^64 · 1e27, far from 2^256.
library RevenueMath {
    /// @dev Scale of the accumulator. With supply ≤ 1e28 and PRECISION 1e27 one accumulator unit is worth at
    /// most 10 USDC units over the whole eligible supply, so a deposit of a few units still moves it.
    uint256 internal constant PRECISION = 1e27;

    /// @notice USDC accrued by `balance` (< 2^96) while the accumulator (< 2^96) moved from `snapshot` to
    /// `accumulator`.
    function accrued(uint256 balance, uint256 accumulator, uint256 snapshot) internal pure returns (uint256) {
        uint256 increase = accumulator - snapshot;
        // balance < 2^96 and increase < 2^96, so the product is below 2^192.
        unchecked {
            return (balance * increase) / PRECISION;
        }
    }

    /// @notice Accumulator increase that spreads `amount` (< 2^64) over `eligibleSupply` (rounded down).
    function perTokenIncrease(uint256 amount, uint256 eligibleSupply) internal pure returns (uint256) {
        // amount < 2^64 and PRECISION < 2^90: the product is below 2^154.
        unchecked {
            return (amount * PRECISION) / eligibleSupply;
        }
    }

    /// @notice USDC that an accumulator `increase` (a perTokenIncrease of an amount < 2^64) hands out over
    /// `eligibleSupply`, rounded UP so that what stays undistributed (carried) is never overstated.
    function distributed(uint256 increase, uint256 eligibleSupply) internal pure returns (uint256) {
        // increase·E ≤ amount·PRECISION < 2^154 by construction, and the ceil adds at most 1.
        unchecked {
            uint256 product = increase * eligibleSupply;
            // Ceil division. amount is an integer and increase·E ≤ amount·PRECISION, so this is ≤ amount.
            return product / PRECISION + (product % PRECISION == 0 ? 0 : 1);
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
