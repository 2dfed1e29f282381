// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CoinTestBase} from "./helpers/coin/CoinTestBase.sol";
import {CreatorCoin} from "../contracts/CreatorCoin.sol";
import {RevenueMath} from "../contracts/libraries/RevenueMath.sol";

/// @dev Fuzz tests of the revenue accumulator's rounding and of the vesting math.
contract CreatorCoinRevenueTest is CoinTestBase {
    uint256 private constant HOLDERS = 4;

    function setUp() public {
        _deployAndLaunch();
    }

    /// With less than one whole coin eligible (governance excluded nearly every holder), what unlocks goes to
    /// the market; a transfer that crosses the exclusion line with the market as a party keeps that credit
    /// (the market's account is written in the same transfer).
    function test_MarketKeepsItsCreditInACrossingTransferWithTheMarket() public {
        factory.setCoinSupply(2e18);
        CreatorCoin small = _launch(address(0xBEEF), "Small", "SM");
        address alice = _holder(0);
        dex.sendCoins(address(small), alice, 17e17);
        distributor.setExcluded(address(small), alice, true);
        assertLt(small.eligibleSupply(), small.MIN_ELIGIBLE_SUPPLY(), "below one whole eligible coin");
        usdc.mint(address(this), 1_000e6);
        usdc.approve(address(small), 1_000e6);
        small.depositRevenue(1_000e6);
        vm.warp(block.timestamp + 7 days);
        // Half unlocks in REVENUE_UNLOCK_TIME untouched: 500 USDC, all the market's.
        assertEq(small.pendingMarketRevenue(), 500e6, "the market's credit before the transfer");
        vm.prank(alice);
        small.transfer(address(dex), 1e17);
        assertEq(small.pendingMarketRevenue(), 500e6, "the market's credit survives the crossing transfer");
        assertEq(small.undistributedRevenue(), 500e6, "the rest stays locked");
    }

    /// Random balances and deposits: holders never get more than was deposited, and what is neither
    /// claimable nor carried is at most one unit per deposit plus one per holder (floor rounding).
    function testFuzz_AccumulatorRoundingFavoursPool(uint256[4] memory balances, uint256[3] memory amounts) public {
        for (uint256 i; i < HOLDERS; ++i) {
            balances[i] = bound(balances[i], 0, coin.balanceOf(address(dex)) / HOLDERS);
            if (balances[i] != 0) dex.sendCoins(address(coin), _holder(i), balances[i]);
        }
        uint256 deposited;
        for (uint256 d; d < amounts.length; ++d) {
            amounts[d] = bound(amounts[d], 1, 1e15);
            _deposit(amounts[d]);
            deposited += amounts[d];
        }
        uint256 claimable;
        for (uint256 i; i < HOLDERS; ++i) {
            claimable += coin.claimableRevenue(_holder(i));
        }
        uint256 carried = coin.undistributedRevenue();
        assertLe(claimable + carried, deposited, "holders + carry never exceed deposits");
        assertLe(deposited - claimable - carried, amounts.length + HOLDERS, "rounding dust bound");
        if (coin.eligibleSupply() < coin.MIN_ELIGIBLE_SUPPLY()) assertEq(carried, deposited, "all carried");
    }

    /// Direct and routed deposits, then every holder claims directly: each holder is paid exactly what was
    /// claimable, the total never exceeds deposits, and the coin keeps exactly deposits − payments.
    function testFuzz_DirectClaimsPayFromCoinCustody(uint256[4] memory balances, uint256[4] memory amounts) public {
        for (uint256 i; i < HOLDERS; ++i) {
            balances[i] = bound(balances[i], 1e18, coin.balanceOf(address(dex)) / HOLDERS);
            dex.sendCoins(address(coin), _holder(i), balances[i]);
        }
        uint256 deposited;
        for (uint256 d; d < amounts.length; ++d) {
            amounts[d] = bound(amounts[d], 1, 1e15);
            if (d % 2 == 0) _depositDirect(amounts[d]);
            else _deposit(amounts[d]);
            deposited += amounts[d];
        }
        uint256 paid;
        for (uint256 i; i < HOLDERS; ++i) {
            address holder = _holder(i);
            uint256 expected = coin.claimableRevenue(holder);
            if (expected == 0) continue;
            vm.prank(holder);
            uint256 amount = coin.claimRevenue();
            assertEq(amount, expected, "pays what was claimable");
            assertEq(usdc.balanceOf(holder), amount, "holder received it");
            assertEq(coin.claimableRevenue(holder), 0, "nothing left to claim");
            paid += amount;
        }
        assertLe(paid + coin.undistributedRevenue(), deposited, "payments + carry never exceed deposits");
        assertLe(deposited - paid - coin.undistributedRevenue(), amounts.length + HOLDERS, "rounding dust bound");
        assertEq(usdc.balanceOf(address(coin)), deposited - paid, "coin keeps deposits minus payments");
        assertEq(usdc.balanceOf(address(distributor)), 0, "the router holds nothing");
    }

    /// A transfer settles both sides: what each holder earned before it stays theirs, and later deposits
    /// follow the new balances.
    function testFuzz_TransferKeepsEarnings(uint256 aliceCoins, uint256 moved, uint256 first, uint256 second)
        public
    {
        address alice = _holder(0);
        address bob = _holder(1);
        aliceCoins = bound(aliceCoins, 1e18, 1e26);
        moved = bound(moved, 0, aliceCoins);
        first = bound(first, 1, 1e13);
        second = bound(second, 1, 1e13);
        dex.sendCoins(address(coin), alice, aliceCoins);
        dex.sendCoins(address(coin), bob, 1e18);
        _deposit(first);
        uint256 aliceBefore = coin.claimableRevenue(alice);
        uint256 bobBefore = coin.claimableRevenue(bob);
        vm.prank(alice);
        coin.transfer(bob, moved);
        assertEq(coin.claimableRevenue(alice), aliceBefore, "alice keeps what she earned");
        assertEq(coin.claimableRevenue(bob), bobBefore, "bob keeps what he earned");
        uint256 accBefore = coin.revenuePerToken();
        _deposit(second);
        uint256 increase = coin.revenuePerToken() - accBefore;
        assertEq(
            coin.claimableRevenue(alice),
            aliceBefore + RevenueMath.accrued(aliceCoins - moved, increase, 0),
            "alice earns on her new balance"
        );
        assertLe(coin.claimableRevenue(alice) + coin.claimableRevenue(bob), first + second, "no more than deposited");
    }

    /// Vested amount is 0 at launch, linear, monotonic, never above the allocation and complete at the end.
    function testFuzz_VestingMath(uint256 allocation, uint256 duration, uint256 t1, uint256 t2) public pure {
        allocation = bound(allocation, 0, type(uint96).max);
        duration = bound(duration, 1, 3650 days);
        uint256 start = 1_000_000;
        t1 = bound(t1, 0, start + 2 * duration);
        t2 = bound(t2, t1, start + 3 * duration);
        uint256 v1 = RevenueMath.vested(allocation, start, duration, t1);
        uint256 v2 = RevenueMath.vested(allocation, start, duration, t2);
        assertLe(v1, v2, "monotonic");
        assertLe(v2, allocation, "bounded by allocation");
        assertEq(RevenueMath.vested(allocation, start, duration, start), 0, "nothing at launch");
        assertEq(RevenueMath.vested(allocation, start, duration, start + duration), allocation, "all at the end");
        if (t1 > start && t1 < start + duration) {
            assertEq(v1, (allocation * (t1 - start)) / duration, "linear");
        }
    }

    /// Releases at random times pay the creator exactly what has vested, never more than the allocation.
    function testFuzz_ReleaseFollowsVesting(uint256 first, uint256 second) public {
        uint256 start = coin.launchedAt();
        uint256 duration = coin.vestingDuration();
        first = bound(first, 1, 2 * duration);
        second = bound(second, first, 2 * duration);
        vm.warp(start + first);
        coin.releaseVested();
        assertEq(coin.balanceOf(creator), coin.vestedAmount(uint64(start + first)), "first release");
        vm.warp(start + second);
        if (coin.releasable() != 0) coin.releaseVested();
        uint256 vested = coin.vestedAmount(uint64(start + second));
        assertEq(coin.balanceOf(creator), vested, "second release");
        assertEq(coin.released(), vested, "released counter");
        assertEq(coin.balanceOf(address(coin)), coin.creatorAllocation() - vested, "escrow keeps the rest");
    }

    function _holder(uint256 i) private pure returns (address) {
        return address(uint160(0xA11CE + i));
    }
}
