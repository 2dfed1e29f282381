// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {MusicDEX} from "../contracts/MusicDEX.sol";
import {IMusicDEX} from "../contracts/interfaces/IMusicDEX.sol";
import {IRevenueDistributor} from "../contracts/interfaces/IRevenueDistributor.sol";
import {DexTestCoin} from "./helpers/dex/DexTestCoin.sol";

/// @dev Fuzzes swaps on a real MusicDEX: quotes equal swaps, fees split exactly, round trips lose.
contract MusicDEXSwapTest is Test {
    uint256 private constant SUPPLY = 900_000_000e18;
    MockUSDC private usdc;
    MusicDEX private dex;
    DexTestCoin private coin;
    address private alice = vm.addr(0xA11CE);
    address private bob = vm.addr(0xB0B);

    function setUp() public {
        usdc = new MockUSDC();
        // The DEX never calls its distributor (holder fees are credited on the coin), so any address will do.
        dex = new MusicDEX(usdc, IRevenueDistributor(vm.addr(0xD157)), vm.addr(0x7EA5), address(this));
        dex.grantRole(dex.MARKET_OPENER_ROLE(), address(this));
        coin = new DexTestCoin("Coin", "C");
        coin.mint(address(dex), SUPPLY);
        dex.openMarket(address(coin), vm.addr(0xC0), SUPPLY);
        for (uint256 i = 0; i < 2; i++) {
            address trader = i == 0 ? alice : bob;
            vm.startPrank(trader);
            usdc.approve(address(dex), type(uint256).max);
            coin.approve(address(dex), type(uint256).max);
            vm.stopPrank();
        }
    }

    function _buy(address trader, uint256 usdcIn) private returns (uint256 out) {
        usdc.mint(trader, usdcIn);
        vm.prank(trader);
        out = dex.buy(address(coin), usdcIn, 0, trader, block.timestamp);
    }

    function _fees() private view returns (uint256) {
        IMusicDEX.Market memory m = dex.market(address(coin));
        return uint256(m.creatorFees) + m.holderFees + dex.treasuryFees();
    }

    function testFuzz_QuoteBuyEqualsBuy(uint256 warmUp, uint256 usdcIn) public {
        if (bound(warmUp, 0, 1) == 1) _buy(bob, bound(warmUp, 1e6, 1_000_000e6));
        usdcIn = bound(usdcIn, 100, 10_000_000e6);
        (uint256 quoted, uint256 fee) = dex.quoteBuy(address(coin), usdcIn);
        uint256 feesBefore = _fees();
        uint256 out = _buy(alice, usdcIn);
        assertEq(out, quoted, "buy equals its quote");
        assertEq(coin.balanceOf(alice), quoted, "coins received");
        assertEq(_fees() - feesBefore, fee, "fee split sums to the fee");
        assertEq(coin.marketFeesAccrued(), dex.market(address(coin)).holderFees, "holder fee credited on the coin");
    }

    function testFuzz_QuoteSellEqualsSell(uint256 usdcIn, uint256 coinsIn) public {
        uint256 held = _buy(alice, bound(usdcIn, 1e6, 1_000_000e6));
        coinsIn = bound(coinsIn, 1e12, held);
        (uint256 quoted, uint256 fee) = dex.quoteSell(address(coin), coinsIn);
        vm.assume(quoted > 0);
        uint256 feesBefore = _fees();
        vm.prank(alice);
        uint256 out = dex.sell(address(coin), coinsIn, quoted, alice, block.timestamp);
        assertEq(out, quoted, "sell equals its quote");
        assertEq(usdc.balanceOf(alice), quoted, "USDC received");
        assertEq(_fees() - feesBefore, fee, "fee split sums to the fee");
    }

    function testFuzz_SellNeverReturnsMoreThanBought(uint256 before, uint256 usdcIn, uint256 after_) public {
        if (bound(before, 0, 1) == 1) _buy(bob, bound(before, 1e6, 1_000_000e6));
        usdcIn = bound(usdcIn, 1e6, 1_000_000e6);
        uint256 got = _buy(alice, usdcIn);
        // Someone else may trade in between; alice still cannot get back more than she paid unless they bought.
        bool bobBought = bound(after_, 0, 1) == 1;
        if (bobBought) _buy(bob, bound(after_, 1e6, 1_000_000e6));
        vm.prank(alice);
        uint256 back = dex.sell(address(coin), got, 0, alice, block.timestamp);
        if (!bobBought) assertLe(back, usdcIn, "an undisturbed round trip never profits");
        IMusicDEX.Market memory m = dex.market(address(coin));
        assertLe(usdc.balanceOf(address(dex)), m.usdcReserve + _fees(), "no USDC unaccounted for");
        assertGe(usdc.balanceOf(address(dex)), m.usdcReserve + _fees(), "reserves and fees are covered");
    }
}
