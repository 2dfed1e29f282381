// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title CurveMath
/// @notice Pure math of MusicDEX's virtual-reserve constant-product curve and of its trading fee.
/// The curve prices a coin against `x = virtualUsdc + usdcReserve` effective USDC and `y = coinReserve`
/// coins, with `x * y = k`. Every function rounds in favour of the market: outputs down, fees up.
/// @dev Invariant: with outputs rounded down, `(x + dx) * (y - dy) >= x * y` after a buy and
/// `(x - dx) * (y + dy) >= x * y` after a sell, so `k` never decreases. Hence once every coin bought from
/// the curve is sold back, `x >= virtualUsdc`, i.e. the real reserve is never negative.
library CurveMath {
    /// @dev Basis-point denominator.
    uint256 internal constant BPS = 10_000;
    /// @dev Total fee on the USDC side of a trade: 2.5 %.
    uint256 internal constant FEE_BPS = 250;
    /// @dev Share of the fee that goes to the coin's creator: 1 % of the trade.
    uint256 internal constant CREATOR_FEE_BPS = 100;
    /// @dev Share of the fee that goes to the protocol treasury: 0.5 % of the trade. Holders get the
    /// rest (1 %), which also absorbs the rounding so that the three parts always sum to the fee.
    uint256 internal constant TREASURY_FEE_BPS = 50;

    /// @notice The fee on `usdcAmount`, rounded up (in favour of the market).
    function fee(uint256 usdcAmount) internal pure returns (uint256) {
        return Math.mulDiv(usdcAmount, FEE_BPS, BPS, Math.Rounding.Ceil);
    }

    /// @notice Splits `totalFee` into creator, holder and treasury parts that sum exactly to it.
    function splitFee(uint256 totalFee)
        internal
        pure
        returns (uint256 creatorFee, uint256 holderFee, uint256 treasuryFee)
    {
        // Checked products: they overflow only for fees above 2^256 / 100, beyond any token's supply.
        creatorFee = (totalFee * CREATOR_FEE_BPS) / FEE_BPS;
        treasuryFee = (totalFee * TREASURY_FEE_BPS) / FEE_BPS;
        // Both floors together are at most 150/250 of totalFee, so the subtraction cannot underflow.
        unchecked {
            holderFee = totalFee - creatorFee - treasuryFee;
        }
    }

    /// @notice Coins out of the curve for `usdcIn` (net of fee) entering it, rounded down.
    /// @param x Effective USDC reserve (virtual + real), > 0.
    /// @param y Coin reserve.
    /// @return coinsOut `floor(y * usdcIn / (x + usdcIn))`, always < y.
    function coinsOut(uint256 x, uint256 y, uint256 usdcIn) internal pure returns (uint256) {
        return Math.mulDiv(y, usdcIn, x + usdcIn);
    }

    /// @notice USDC out of the curve (before fee) for `coinsIn` entering it, rounded down.
    /// @param x Effective USDC reserve (virtual + real).
    /// @param y Coin reserve, > 0.
    /// @return usdcOut `floor(x * coinsIn / (y + coinsIn))`, always < x.
    function usdcOut(uint256 x, uint256 y, uint256 coinsIn) internal pure returns (uint256) {
        return Math.mulDiv(x, coinsIn, y + coinsIn);
    }

    /// @notice A buy of `usdcIn` gross: the fee (rounded up) and the coins out (rounded down).
    function quoteBuy(uint256 x, uint256 y, uint256 usdcIn) internal pure returns (uint256 out, uint256 buyFee) {
        buyFee = fee(usdcIn);
        // fee(a) = ceil(a / 40) <= a for every a, so the net amount cannot underflow.
        unchecked {
            out = coinsOut(x, y, usdcIn - buyFee);
        }
    }

    /// @notice A sell of `coinsIn`: the gross USDC out of the curve, the fee (rounded up) taken from it,
    /// and the net USDC the seller receives.
    function quoteSell(uint256 x, uint256 y, uint256 coinsIn)
        internal
        pure
        returns (uint256 grossOut, uint256 netOut, uint256 sellFee)
    {
        grossOut = usdcOut(x, y, coinsIn);
        sellFee = fee(grossOut);
        // fee(a) <= a, see quoteBuy.
        unchecked {
            netOut = grossOut - sellFee;
        }
    }

    /// @notice Price in USDC units per 1e18 coin units, rounded down.
    function spotPrice(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, 1e18, y);
    }
}
