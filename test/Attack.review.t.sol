// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ProtocolTestBase} from "./helpers/protocol/ProtocolTestBase.sol";
import {ICreatorCoin} from "../contracts/interfaces/ICreatorCoin.sol";
import {IBeatStreamVault} from "../contracts/interfaces/IBeatStreamVault.sol";
import {CreatorCoin} from "../contracts/CreatorCoin.sol";

/// @dev An attacker's review of the money paths on the contracts wired as deployed, using only public entry points
/// and only the roles an outsider, a fan, a creator or the relayer has: each test is an attack that does not work,
/// kept as a regression test. Two attacks that do work (an hour's round trip around a self-triggered distribution
/// that is large against a shallow market; a sell ahead of a pending vested release) are described in
/// docs/revenue.md ("Known limits"); the stream client's trust of the relayer is tested in test/relayer/stream.client.ts.
contract AttackReviewTest is ProtocolTestBase {
    uint256 private constant LISTENER = 0x11571;
    uint256 private constant OTHER_LISTENER = 0x11572;

    address private attacker = vm.addr(0xA77AC);
    address private fan = vm.addr(0xFA40);
    address private label = vm.addr(0x1ABE1);

    function setUp() public {
        _deployAndLaunch();
    }

    // ------------------------------------------------------------ revenue timing: an attacker-timed distribution

    /// An hour's round trip around a distribution the attacker triggers himself (distributeHolderRevenue is
    /// permissionless) on a shallow coin (fans bought 2,000 USDC) loses its fees around a 100,000 USDC distribution.
    /// Around 1,000,000 USDC on the same coin it profits (docs/revenue.md, "Known limits").
    function test_HourRoundTripAroundSmallerDistributionLoses() public {
        _buy(fan, 2_000e6);
        vm.prank(creator);
        vault.setHolderShare(10_000);
        _fundListener(LISTENER, 100_000e6);
        _settle(LISTENER, creator, "quarter", 100_000e6);
        _wait(3 days);

        uint256 usdcIn = 20_000e6;
        _buy(attacker, usdcIn);
        vault.distributeHolderRevenue(creator);
        _wait(1 hours);
        _claimQuietly(attacker);
        _sell(attacker, coin.balanceOf(attacker));
        _claimQuietly(attacker);
        assertLe(usdc.balanceOf(attacker), usdcIn, "round trip around a 100,000 USDC distribution profited");
    }

    // ------------------------------------------------------------ lockouts and griefing

    /// Anyone may call MusicDEX.releaseHolderFees: a griefer moving the holder fees to the coin between every trade and
    /// claim changes custody only. Fans still claim everything and sell everything, and both contracts stay solvent.
    function test_GrieferReleasingHolderFeesBlocksNoClaimOrTrade() public {
        address[3] memory fans = [vm.addr(0xFA41), vm.addr(0xFA42), vm.addr(0xFA43)];
        for (uint256 i; i < 3; ++i) {
            _buy(fans[i], 10_000e6 * (i + 1));
            _releaseHolderFeesQuietly();
        }
        _depositRouted(label, 5_000e6);
        _wait(2 days);
        for (uint256 round; round < 3; ++round) {
            for (uint256 i; i < 3; ++i) {
                _releaseHolderFeesQuietly();
                _claimQuietly(fans[i]);
                _releaseHolderFeesQuietly();
                _sell(fans[i], coin.balanceOf(fans[i]) / 2);
            }
            _wait(1 days);
        }
        for (uint256 i; i < 3; ++i) {
            _sell(fans[i], coin.balanceOf(fans[i]));
            _claimQuietly(fans[i]);
        }
        assertGe(usdc.balanceOf(address(dex)), _dexOwes(), "DEX USDC covers reserve and fees");
    }

    /// A buyer who names the DEX itself as recipient inflates `outstanding` with coins nobody can sell. After the
    /// creator's whole allocation is released (by anyone) and sold, every fan can still sell everything.
    function test_BuyToTheDexAndPermissionlessReleaseLockNoSeller() public {
        _buy(fan, 40_000e6);
        usdc.mint(attacker, 30_000e6);
        vm.startPrank(attacker);
        usdc.approve(address(dex), 30_000e6);
        dex.buy(address(coin), 30_000e6, 0, address(dex), block.timestamp);
        vm.stopPrank();
        _wait(coin.vestingDuration());
        vm.prank(attacker);
        coin.releaseVested();
        uint256 creatorCoins = coin.balanceOf(creator);
        _sell(creator, creatorCoins);
        uint256 fanCoins = coin.balanceOf(fan);
        uint256 out = _sell(fan, fanCoins);
        assertGt(out, 0, "fan sold");
        assertGe(usdc.balanceOf(address(dex)), _dexOwes(), "DEX USDC covers reserve and fees");
    }

    /// A griefer distributes a creator's holder pool the moment one unit has accrued, using up the period. Nothing
    /// is lost: the rest of the period's accrual goes out in the next one, and the coin receives every unit accrued.
    function test_GrieferEarlyDistributionLosesNoHolderRevenue() public {
        vm.prank(creator);
        vault.setHolderShare(10_000);
        _fundListener(LISTENER, 1_000_000e6);
        _settle(LISTENER, creator, "a", 1);
        uint256 coinUsdcBefore = usdc.balanceOf(address(coin));
        vm.prank(attacker);
        vault.distributeHolderRevenue(creator);
        _settle(LISTENER, creator, "a", 500_000e6);
        vm.expectRevert();
        vault.distributeHolderRevenue(creator);
        _wait(PERIOD);
        vault.distributeHolderRevenue(creator);
        assertEq(usdc.balanceOf(address(coin)) - coinUsdcBefore, 500_000e6, "every accrued unit reached the coin");
        assertEq(vault.holderRevenueOf(creator), 0, "pool empty");
    }

    /// A listener who withdraws everything in the block before the relayer's batch does not make the batch revert:
    /// its voucher pays nothing, every other voucher in the batch still settles.
    function test_ListenerWithdrawingFirstDoesNotRevertTheBatch() public {
        _fundListener(LISTENER, 100e6);
        _fundListener(OTHER_LISTENER, 100e6);
        vm.prank(vm.addr(LISTENER));
        vault.requestWithdrawal(100e6);
        _wait(1 days);
        vm.prank(vm.addr(LISTENER));
        vault.withdraw();
        IBeatStreamVault.StreamVoucher[] memory vouchers = new IBeatStreamVault.StreamVoucher[](2);
        uint64 deadline = uint64(block.timestamp);
        vouchers[0] = IBeatStreamVault.StreamVoucher(vm.addr(LISTENER), creator, "s", 10e6, deadline);
        vouchers[1] = IBeatStreamVault.StreamVoucher(vm.addr(OTHER_LISTENER), creator, "s", 10e6, deadline);
        bytes memory signatures = abi.encodePacked(_sign(LISTENER, vouchers[0]), _sign(OTHER_LISTENER, vouchers[1]));
        // The deadline is now: a voucher is still good in the block of its deadline.
        vm.prank(relayer);
        vault.settle(vouchers, signatures);
        assertEq(vault.earningsOf(creator), 10e6, "only the funded voucher paid");
        assertEq(vault.balanceOf(vm.addr(OTHER_LISTENER)), 90e6, "other listener charged");
    }

    /// A withdrawal executes exactly at its ready time, not one second before.
    function test_WithdrawalBoundaryIsExact() public {
        _fundListener(LISTENER, 100e6);
        address listener = vm.addr(LISTENER);
        vm.prank(listener);
        vault.requestWithdrawal(100e6);
        vm.warp(block.timestamp + vault.WITHDRAWAL_DELAY() - 1);
        vm.prank(listener);
        vm.expectRevert();
        vault.withdraw();
        vm.warp(block.timestamp + 1);
        vm.prank(listener);
        vault.withdraw();
        assertEq(usdc.balanceOf(listener), 100e6, "withdrawn at the boundary");
    }

    /// Someone pre-funds a creator's predictable coin address with USDC before the launch (and tries to claim from it):
    /// the launch still succeeds and the donation is only a donation.
    function test_PrefundingThePredictedCoinAddressBlocksNoLaunch() public {
        address newcomer = vm.addr(0x7E3C0);
        address predicted = factory.predictCoinAddress(newcomer);
        usdc.mint(predicted, 1_000e6);
        CreatorCoin launched = _launch(newcomer, "Newcomer", "NEW");
        assertEq(address(launched), predicted, "launched at the predicted address");
        assertEq(launched.balanceOf(address(dex)), 900_000_000e18, "market supply in the DEX");
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(ICreatorCoin.CreatorCoinNothingToClaim.selector, attacker));
        launched.claimRevenue();
    }

    // ------------------------------------------------------------ value extraction through rounding and wash trades

    /// Dust loops: many buys of a few USDC units, each followed by selling what it bought, never leave the attacker
    /// with more USDC than he paid in (fees round up, outputs down).
    function testFuzz_DustRoundTripsNeverProfit(uint256 amountSeed, uint8 loopsSeed) public {
        _buy(fan, 5_000e6);
        uint256 loops = bound(loopsSeed, 1, 40);
        uint256 paid;
        for (uint256 i; i < loops; ++i) {
            uint256 usdcIn = bound(uint256(keccak256(abi.encode(amountSeed, i))), 2, 10_000);
            paid += usdcIn;
            uint256 coins = _buy(attacker, usdcIn);
            if (_quoteOrZero(coins) != 0) _sell(attacker, coins);
        }
        _wait(30 days);
        _claimQuietly(attacker);
        assertLe(usdc.balanceOf(attacker), paid, "dust loop minted value");
    }

    /// The creator wash-trades its own coin: it earns the 1 % creator fee on both legs, its escrow and its bought coins
    /// earn part of the 1 % holder fee, and it waits for all of it to unlock. It still ends poorer than it started.
    function testFuzz_CreatorWashTradingLoses(uint256 sizeSeed, uint8 roundsSeed) public {
        _buy(fan, 2_000e6);
        uint256 size = bound(sizeSeed, 1_000e6, 500_000e6);
        uint256 rounds = bound(roundsSeed, 1, 10);
        usdc.mint(creator, size);
        uint256 start = usdc.balanceOf(creator);
        for (uint256 i; i < rounds; ++i) {
            uint256 usdcIn = usdc.balanceOf(creator);
            vm.startPrank(creator);
            usdc.approve(address(dex), usdcIn);
            uint256 coins = dex.buy(address(coin), usdcIn, 0, creator, block.timestamp);
            coin.approve(address(dex), coins);
            dex.sell(address(coin), coins, 0, creator, block.timestamp);
            vm.stopPrank();
        }
        // Long enough for nearly all the holder fees to unlock; the vested coins are released with their revenue.
        _wait(120 days);
        coin.releaseVested();
        _claimQuietly(creator);
        vm.prank(creator);
        dex.claimCreatorFees(address(coin), creator);
        // Only the USDC that wash trading brought back counts: the released coins are the creator's allocation anyway.
        assertLt(usdc.balanceOf(creator), start, "wash trading paid the creator");
    }

    // ------------------------------------------------------------ helpers

    function _sign(uint256 key, IBeatStreamVault.StreamVoucher memory voucher) private view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, vault.hashVoucher(voucher));
        return abi.encodePacked(r, s, v);
    }

    function _releaseHolderFeesQuietly() private {
        vm.prank(attacker);
        try dex.releaseHolderFees(address(coin)) {} catch {}
    }

    function _claimQuietly(address who) private {
        vm.prank(who);
        try coin.claimRevenue() {}
        catch (bytes memory reason) {
            if (bytes4(reason) != ICreatorCoin.CreatorCoinNothingToClaim.selector) {
                assembly ("memory-safe") {
                    revert(add(reason, 32), mload(reason))
                }
            }
        }
    }

    function _quoteOrZero(uint256 coinsIn) private view returns (uint256 usdcOut) {
        try dex.quoteSell(address(coin), coinsIn) returns (uint256 out, uint256) {
            usdcOut = out;
        } catch {}
    }
}
