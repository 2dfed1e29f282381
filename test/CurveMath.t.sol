// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {CurveMath} from "../contracts/libraries/CurveMath.sol";

/// @dev Fuzz tests of the curve and fee math. Reserves and amounts are clamped to 120 bits so the
/// products checked below fit 256 bits; the DEX itself keeps everything under 128 bits.
contract CurveMathTest is Test {
    uint256 private constant MAX = 2 ** 120;

    function _state(uint256 x, uint256 y) private pure returns (uint256, uint256) {
        return (bound(x, 1, MAX), bound(y, 1, MAX));
    }

    function testFuzz_FeeRoundsUp(uint256 amount) public pure {
        amount = bound(amount, 0, MAX);
        uint256 fee = CurveMath.fee(amount);
        assertGe(fee * CurveMath.BPS, amount * CurveMath.FEE_BPS, "fee not below exact");
        if (fee > 0) assertLe((fee - 1) * CurveMath.BPS, amount * CurveMath.FEE_BPS - 1, "fee rounded up by 1 at most");
        assertLe(fee, amount, "fee within amount");
    }

    function testFuzz_FeeSplitSumsExactly(uint256 fee) public pure {
        fee = bound(fee, 0, MAX);
        (uint256 creatorFee, uint256 holderFee, uint256 treasuryFee) = CurveMath.splitFee(fee);
        assertEq(creatorFee + holderFee + treasuryFee, fee, "parts sum to the fee");
        assertEq(creatorFee, (fee * 100) / 250, "creator 100 of 250");
        assertEq(treasuryFee, (fee * 50) / 250, "treasury 50 of 250");
        assertGe(holderFee * 250, fee * 100, "holders at least 100 of 250");
        assertLe(holderFee * 250, fee * 100 + 500, "holders absorb at most two units of rounding");
    }

    function testFuzz_CoinsOutRoundsDownAndKeepsK(uint256 x, uint256 y, uint256 usdcIn) public pure {
        (x, y) = _state(x, y);
        usdcIn = bound(usdcIn, 0, MAX);
        uint256 out = CurveMath.coinsOut(x, y, usdcIn);
        assertLe(out * (x + usdcIn), y * usdcIn, "rounded down");
        assertTrue(out < y, "never drains the coin reserve");
        assertGe((x + usdcIn) * (y - out), x * y, "k never decreases on a buy");
    }

    function testFuzz_UsdcOutRoundsDownAndKeepsK(uint256 x, uint256 y, uint256 coinsIn) public pure {
        (x, y) = _state(x, y);
        coinsIn = bound(coinsIn, 0, MAX);
        uint256 out = CurveMath.usdcOut(x, y, coinsIn);
        assertLe(out * (y + coinsIn), x * coinsIn, "rounded down");
        assertTrue(out < x, "never drains the effective USDC reserve");
        assertGe((x - out) * (y + coinsIn), x * y, "k never decreases on a sell");
    }

    function testFuzz_QuoteBuyMonotone(uint256 x, uint256 y, uint256 a, uint256 b) public pure {
        (x, y) = _state(x, y);
        a = bound(a, 0, MAX);
        b = bound(b, a, MAX);
        (uint256 outA, uint256 feeA) = CurveMath.quoteBuy(x, y, a);
        (uint256 outB, uint256 feeB) = CurveMath.quoteBuy(x, y, b);
        assertLe(outA, outB, "more USDC never buys fewer coins");
        assertLe(feeA, feeB, "fee monotone");
    }

    function testFuzz_QuoteSellMonotone(uint256 x, uint256 y, uint256 a, uint256 b) public pure {
        (x, y) = _state(x, y);
        a = bound(a, 0, MAX);
        b = bound(b, a, MAX);
        (uint256 grossA, uint256 netA, uint256 feeA) = CurveMath.quoteSell(x, y, a);
        (uint256 grossB, uint256 netB, uint256 feeB) = CurveMath.quoteSell(x, y, b);
        assertLe(grossA, grossB, "gross monotone");
        assertLe(netA, netB, "more coins never sell for less USDC");
        assertLe(feeA, feeB, "fee monotone");
        assertEq(netA + feeA, grossA, "net plus fee is gross");
    }

    function testFuzz_BuyThenSellNeverProfits(uint256 x, uint256 y, uint256 usdcIn) public pure {
        (x, y) = _state(x, y);
        usdcIn = bound(usdcIn, 1, MAX);
        (uint256 coins, uint256 buyFee) = CurveMath.quoteBuy(x, y, usdcIn);
        uint256 net = usdcIn - buyFee;
        (uint256 gross, uint256 back,) = CurveMath.quoteSell(x + net, y - coins, coins);
        assertLe(gross, net, "the curve alone returns at most what entered it");
        assertLe(back, usdcIn, "a round trip never profits");
    }

    function testFuzz_SellThenBuyNeverProfits(uint256 x, uint256 y, uint256 coinsIn) public pure {
        (x, y) = _state(x, y);
        coinsIn = bound(coinsIn, 1, MAX);
        (uint256 gross, uint256 usdcBack,) = CurveMath.quoteSell(x, y, coinsIn);
        (uint256 coinsBack,) = CurveMath.quoteBuy(x - gross, y + coinsIn, usdcBack);
        assertLe(coinsBack, coinsIn, "buying back with the proceeds never yields more coins");
    }

    function testFuzz_SpotPriceRoundsDown(uint256 x, uint256 y) public pure {
        (x, y) = _state(x, y);
        uint256 price = CurveMath.spotPrice(x, y);
        assertLe(price * y, x * 1e18, "rounded down");
        assertTrue((price + 1) * y > x * 1e18, "by less than one unit");
    }

    function test_FeeExamples() public pure {
        assertEq(CurveMath.fee(0), 0, "zero");
        assertEq(CurveMath.fee(1), 1, "one unit is all fee");
        assertEq(CurveMath.fee(40), 1, "exact");
        assertEq(CurveMath.fee(41), 2, "rounded up");
        assertEq(CurveMath.fee(1_000_000), 25_000, "2.5 %");
    }
}
