// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RevenueMath} from "./RevenueMath.sol";

/// @title PackedRevenue
/// @notice A coin's revenue state in one storage word, and its unlocking: the accumulator (bits 0-95), the
/// eligible supply in RevenueMath.UNITs rounded up (bits 96-159), the time of the last stored update (bits
/// 160-191) and the revenue still locked (bits 192-255).
/// @dev One word, decoded with shifts on the stack: every transfer, deposit and claim reads it, so it must cost
/// one SLOAD and no memory. Writers keep each field within its width (checked where a value could grow).
library PackedRevenue {
    /// @notice The accumulator would reach `value`, at or above MAX_ACCUMULATOR (unreachable in realistic use,
    /// see RevenueMath).
    error PackedRevenueOverflow(uint256 value);

    /// @notice The accumulator may not reach this (CreatorCoin's snapshot sentinel is type(uint96).max).
    uint256 internal constant MAX_ACCUMULATOR = type(uint96).max - 1;

    /// @notice The revenue accumulator (RevenueMath's revenuePerToken).
    function accumulator(uint256 word) internal pure returns (uint256) {
        return uint96(word);
    }

    /// @notice The eligible supply in UNITs.
    function eligibleUnits(uint256 word) internal pure returns (uint256) {
        return uint64(word >> 96);
    }

    /// @notice When the accumulator last took in unlocked revenue.
    function updatedAt(uint256 word) internal pure returns (uint256) {
        return uint32(word >> 160);
    }

    /// @notice USDC received and not yet unlocked.
    function locked(uint256 word) internal pure returns (uint256) {
        return word >> 192;
    }

    /// @notice Packs the four fields; the caller guarantees their widths (96, 64, 32, 64 bits).
    function pack(uint256 accumulator_, uint256 units, uint256 timestamp, uint256 locked_)
        internal
        pure
        returns (uint256)
    {
        return accumulator_ | (units << 96) | (timestamp << 160) | (locked_ << 192);
    }

    /// @notice `word` with `locked_` (which must fit 64 bits) as its locked revenue.
    function withLocked(uint256 word, uint256 locked_) internal pure returns (uint256) {
        return uint192(word) | (locked_ << 192);
    }

    /// @notice `word` with `units` (which must fit 64 bits) as its eligible supply.
    function withEligibleUnits(uint256 word, uint256 units) internal pure returns (uint256) {
        return (word & ~(uint256(type(uint64).max) << 96)) | (units << 96);
    }

    /// @notice Brings `word` forward to `timestamp`: what unlocked since updatedAt
    /// (RevenueMath.unlocked) raises the accumulator, rounded in the pool's favour (the rounding stays
    /// locked). While the eligible supply is below `minEligible`, what unlocked is returned as `unclaimed`
    /// instead (the caller gives it an owner). The clock always moves to `timestamp`, also when nothing
    /// unlocked: revenue locked after a stored update never unlocks for time before it (a clock left behind
    /// under dust that could not unlock once let a later deposit unlock as if it had been locked all along).
    /// The price: dust too small to unlock between two stored updates (locked · Δt / (Δt + unlockTime) < 1
    /// unit) waits until more revenue arrives or the coin is left alone longer.
    /// Monotone: for a fixed stored word, the accumulator it yields never decreases as `timestamp` grows.
    /// @return next The state as of `timestamp`.
    /// @return unclaimed Revenue that unlocked with less than `minEligible` eligible.
    function unlock(uint256 word, uint256 timestamp, uint256 unlockTime, uint256 minEligible)
        internal
        pure
        returns (uint256 next, uint256 unclaimed)
    {
        uint256 locked_ = word >> 192;
        // updatedAt <= timestamp: every stored update used an earlier block's timestamp.
        uint256 amount = RevenueMath.unlocked(locked_, timestamp - uint32(word >> 160), unlockTime);
        if (amount == 0) return (_withClock(word, timestamp), 0);
        uint256 units = uint64(word >> 96);
        uint256 accumulator_ = uint96(word);
        if (units < minEligible / RevenueMath.UNIT) {
            unclaimed = amount;
        } else {
            uint256 increase = RevenueMath.perTokenIncrease(amount, units);
            // Too little to move the accumulator: it stays locked, and the clock moves as above.
            if (increase == 0) return (_withClock(word, timestamp), 0);
            // accumulator < 2^96 and increase < 2^124: no overflow; the bound is checked next.
            unchecked {
                accumulator_ += increase;
            }
            if (accumulator_ > MAX_ACCUMULATOR) revert PackedRevenueOverflow(accumulator_);
            // distributed <= amount (RevenueMath): what rounding kept stays locked.
            amount = RevenueMath.distributed(increase, units);
        }
        // amount <= locked (RevenueMath.unlocked), so the difference fits 64 bits; timestamps fit 32 bits.
        unchecked {
            next = pack(accumulator_, units, timestamp, locked_ - amount);
        }
    }

    /// @dev `word` with its clock at `timestamp` (which fits 32 bits until 2106).
    function _withClock(uint256 word, uint256 timestamp) private pure returns (uint256) {
        return (word & ~(uint256(type(uint32).max) << 160)) | (timestamp << 160);
    }
}
