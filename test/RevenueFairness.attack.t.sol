// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ProtocolTestBase} from "./helpers/protocol/ProtocolTestBase.sol";
import {ICreatorCoin} from "../contracts/interfaces/ICreatorCoin.sol";

/// @dev The attacker's tests of the review's three findings, on the real contracts wired as deployed
/// (MusicNFT → CreatorCoinFactory → coin clone → MusicDEX → RevenueDistributor). Each test fails on the
/// code the review attacked and is the regression test of its fix. Only public behaviour is used (trades and
/// quotes on the DEX, deposits, claims, vesting releases, the clock), so the tests do not depend on how the
/// fix changes the contracts' internals.
contract RevenueFairnessAttackTest is ProtocolTestBase {
    /// @dev Rounding a holder may gain in a claim, in USDC units (6 decimals).
    uint256 private constant ROUNDING_ALLOWANCE = 5;

    address private attacker = vm.addr(0xA77AC);
    address private label = vm.addr(0x1ABE1);

    function setUp() public {
        _deployAndLaunch();
    }

    // ------------------------------------------------------------------ finding 1: sandwiching a deposit

    /// Incumbent fans hold coins bought for 200,000 USDC; the attacker buys right before a revenue deposit,
    /// holds up to an hour, claims what he can and sells everything: he must end with no more USDC than he
    /// started with (the round trip's fees must outweigh whatever revenue a just-in-time holder can take).
    function testFuzz_SandwichAroundDepositNeverProfits(uint256 depositSeed, uint256 holdSeed, uint256 buySeed)
        public
    {
        _incumbentsBuy([uint256(80_000e6), 60_000e6, 40_000e6, 20_000e6]);
        _wait(3 days);
        uint256 usdcIn = bound(buySeed, 1e6, 1_000_000e6);
        uint256 revenue = bound(depositSeed, 1_000e6, 1_000_000e6);
        uint256 hold = bound(holdSeed, 1, 3600);
        (uint256 usdcBefore, uint256 usdcAfter) = _sandwich(usdcIn, revenue, hold, depositSeed % 2 == 0);
        assertLe(usdcAfter, usdcBefore, "sandwich around a deposit profited (USDC after, USDC before)");
    }

    /// The review's measurement: fans hold 10,000 USDC of coins, the attacker buys for 40,000 USDC in the
    /// block of a 10,000 USDC deposit, claims in the next block and sells. On the reviewed code he ends
    /// 4,062 USDC richer (he held 80 % of the eligible supply and took 80 % of the deposit, for 5 % of fees).
    function test_SandwichOfReviewNeverProfits() public {
        _incumbentsBuy([uint256(4_000e6), 3_000e6, 2_000e6, 1_000e6]);
        _wait(3 days);
        (uint256 usdcBefore, uint256 usdcAfter) = _sandwich(40_000e6, 10_000e6, 12, true);
        assertLe(usdcAfter, usdcBefore, "sandwich around a deposit profited (USDC after, USDC before)");
    }

    // ------------------------------------------------------------------ finding 2: carried revenue and dust

    /// Revenue deposited while nobody holds the coin is carried; a buyer of 0.00004 USDC (about one whole
    /// coin, the minimum eligible supply) then pokes the coin with a second dust trade and claims. He may
    /// take no more than his share of the supply of what was deposited before and while he held.
    function test_DustBuyerDoesNotCaptureCarriedRevenue() public {
        _depositRouted(label, 5_000e6);
        _wait(1 days);
        uint256 revenue = 5_000e6;
        revenue += _feeOf(40);
        uint256 coins = _buy(attacker, 40);
        _wait(12);
        // Any trade accrues its holder fee, which spreads whatever was carried.
        revenue += _feeOf(40);
        coins += _buy(attacker, 40);
        _wait(1 hours);
        uint256 claimed = _claimAll(attacker);
        assertLe(claimed, _fairShare(coins, revenue), "dust buyer took carried revenue (claimed, fair share)");
    }

    /// Deposits land while the coin has only a dust holder (below one whole coin), then a buyer of any size
    /// arrives, more revenue may come while he holds, any trade happens, and he claims after a while: he
    /// never gets more than (his coins / total supply) × everything deposited up to his claim. Revenue from
    /// before his buy is counted too because a fix that unlocks revenue over time may fairly pay a holder part
    /// of a deposit that unlocks while he holds.
    function testFuzz_BuyerShareBoundedBySupplyShare(
        uint256 buySeed,
        uint256 carriedSeed,
        uint256 heldSeed,
        uint256 holdSeed
    ) public {
        address pioneer = vm.addr(0xD057);
        address bystander = vm.addr(0xB1357);
        uint256 revenue = _feeOf(20);
        _buy(pioneer, 20); // about 0.6 coin: the eligible supply stays below one whole coin
        uint256 carried = bound(carriedSeed, 1e6, 1_000_000e6);
        _depositRouted(label, carried / 2);
        _depositDirect(label, carried - carried / 2);
        revenue += carried;
        _wait(1 days);

        uint256 usdcIn = bound(buySeed, 40, 1_000_000e6);
        revenue += _feeOf(usdcIn);
        uint256 coins = _buy(attacker, usdcIn);
        _wait(12);
        uint256 held = bound(heldSeed, 0, 1_000_000e6);
        if (held != 0) {
            _depositRouted(label, held);
            revenue += held;
        }
        revenue += _feeOf(1e6);
        _buy(bystander, 1e6);
        _wait(bound(holdSeed, 1, 30 days));
        uint256 claimed = _claimAll(attacker);
        assertLe(claimed, _fairShare(coins, revenue), "buyer took more than his supply share (claimed, fair share)");
    }

    /// The second reading's F1: a 1-unit deposit (or a 2-unit buy, whose holder fee is 1) left `locked` at dust
    /// that never unlocks, which froze the unlock clock; a deposit 90 days later joined that old clock and
    /// unlocked 93 % of itself in the next block, to holders who came in by plain transfer. New revenue now
    /// starts its own clock: a holder who came in that way still earns at most s · deposit · h / 7 days.
    function test_DepositAfterDustDoesNotInheritAnOldClock() public {
        _depositDirect(label, 1);
        _wait(90 days);
        coin.releaseVested();
        uint256 coins = coin.balanceOf(coin.creator());
        vm.prank(coin.creator());
        coin.transfer(attacker, coins);
        _depositRouted(label, 100_000e6);
        _wait(12);
        uint256 claimed = _claimAll(attacker);
        uint256 bound = (coins * 100_000e6 * 12) / (coin.totalSupply() * 7 days) + ROUNDING_ALLOWANCE;
        assertLe(claimed, bound, "a deposit on a dust-locked coin unlocked at once (claimed, bound)");
        assertGt(coin.undistributedRevenue(), 99_000e6, "the deposit is still locked a block later");
    }

    /// The same through the DEX: a 2-unit buy locks a holder fee of 1; a month later a deposit lands.
    function test_DepositAfterDustBuyDoesNotInheritAnOldClock() public {
        _buy(attacker, 2);
        _wait(30 days);
        _depositRouted(label, 100_000e6);
        _wait(12);
        assertGt(coin.undistributedRevenue(), 99_000e6, "the deposit is still locked a block later");
    }

    // ------------------------------------------------------------------ finding 3: the creator's vested coins

    /// Fans buy; the allocation vests fully; the creator releases it and sells all he can in chunks; then
    /// every fan sells everything. No fan's sell may revert, and the DEX keeps USDC for all it owes.
    function test_CreatorSellingVestedCoinsNeverLocksBuyersOut() public {
        address[4] memory fans = _incumbentsBuy([uint256(50_000e6), 30_000e6, 15_000e6, 5_000e6]);
        _wait(coin.vestingDuration());
        coin.releaseVested();
        uint256 chunk = coin.balanceOf(creator) / 10 + 1;
        for (uint256 i; i < 10; ++i) {
            _creatorSells(chunk);
        }
        for (uint256 f; f < fans.length; ++f) {
            _fanSellsAll(fans[f]);
        }
        assertGe(usdc.balanceOf(address(dex)), _dexOwes(), "DEX USDC covers reserve and fees");
    }

    /// Random fan buys, part or all of the vesting in two releases, the creator's chunked sells interleaved in
    /// random order with fans' partial sells, then every fan sells all: no fan's sell reverts, ever.
    function testFuzz_CreatorSellingVestedCoinsNeverLocksBuyersOut(
        uint256[4] memory buys,
        uint256 firstVestSeed,
        uint256 secondVestSeed,
        uint256 chunksSeed,
        uint256 orderSeed
    ) public {
        for (uint256 f; f < 4; ++f) {
            buys[f] = bound(buys[f], 1e6, 250_000e6);
        }
        address[4] memory fans = _incumbentsBuy(buys);
        uint256 duration = coin.vestingDuration();
        _wait(bound(firstVestSeed, 1 days, duration));
        coin.releaseVested();
        uint256 chunks = bound(chunksSeed, 1, 8);
        uint256 chunk = coin.balanceOf(creator) / chunks + 1;
        for (uint256 step; step < 2 * chunks + 4; ++step) {
            uint256 r = uint256(keccak256(abi.encode(orderSeed, step)));
            if (r % 2 == 0) {
                _creatorSells(chunk);
            } else {
                address fan = fans[(r >> 8) % 4];
                _fanSells(fan, coin.balanceOf(fan) / 2);
            }
            if (step == chunks) {
                // The rest of the vesting (or none of it) arrives halfway through.
                _wait(bound(secondVestSeed, 0, duration));
                if (coin.releasable() != 0) coin.releaseVested();
                chunk = coin.balanceOf(creator) / chunks + 1;
            }
            assertGe(usdc.balanceOf(address(dex)), _dexOwes(), "DEX USDC covers reserve and fees");
        }
        _creatorSells(coin.balanceOf(creator));
        for (uint256 f; f < fans.length; ++f) {
            _fanSellsAll(fans[f]);
        }
        assertGe(usdc.balanceOf(address(dex)), _dexOwes(), "DEX USDC covers reserve and fees");
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Four fans buy `amounts` in turn.
    function _incumbentsBuy(uint256[4] memory amounts) private returns (address[4] memory fans) {
        for (uint256 f; f < 4; ++f) {
            fans[f] = vm.addr(0xFA40 + f);
            _buy(fans[f], amounts[f]);
        }
    }

    /// @dev The attacker buys for `usdcIn`, a `revenue` deposit lands in the same block, he holds `hold`
    /// seconds (one block), claims, sells everything and claims again.
    function _sandwich(uint256 usdcIn, uint256 revenue, uint256 hold, bool routed)
        private
        returns (uint256 usdcBefore, uint256 usdcAfter)
    {
        usdcBefore = usdcIn;
        _buy(attacker, usdcIn);
        if (routed) _depositRouted(label, revenue);
        else _depositDirect(label, revenue);
        _wait(hold);
        _claimDirect(attacker);
        uint256 coins = coin.balanceOf(attacker);
        if (coins != 0 && _quoteOrZero(coins) != 0) _sell(attacker, coins);
        _claimDirect(attacker);
        usdcAfter = usdc.balanceOf(attacker);
    }

    /// @dev claimRevenue on the coin; nothing to claim is not an error here, anything else is.
    function _claimDirect(address who) private {
        vm.prank(who);
        try coin.claimRevenue() {}
        catch (bytes memory reason) {
            if (bytes4(reason) != ICreatorCoin.CreatorCoinNothingToClaim.selector) _bubble(reason);
        }
    }

    /// @dev The creator sells up to `amount` of his coins; a refused sell is not an error (a fix may cap him).
    function _creatorSells(uint256 amount) private {
        uint256 balance = coin.balanceOf(creator);
        if (amount > balance) amount = balance;
        if (amount == 0) return;
        vm.startPrank(creator);
        coin.approve(address(dex), amount);
        try dex.sell(address(coin), amount, 0, creator, block.timestamp) {} catch {}
        vm.stopPrank();
    }

    /// @dev `fan` sells everything; a revert fails the test with the DEX's error.
    function _fanSellsAll(address fan) private {
        _fanSells(fan, coin.balanceOf(fan));
    }

    /// @dev `fan` sells `amount` unless it is dust the DEX would pay nothing for; any refusal (the DEX will not
    /// even quote) goes through to the sell, so that it fails the test with the DEX's error.
    function _fanSells(address fan, uint256 amount) private {
        if (amount == 0) return;
        try dex.quoteSell(address(coin), amount) returns (uint256 out, uint256) {
            if (out == 0) return;
        } catch {}
        _sell(fan, amount);
    }

    /// @dev quoteSell's net output, or 0 when the DEX refuses to quote.
    function _quoteOrZero(uint256 coinsIn) private view returns (uint256 usdcOut) {
        try dex.quoteSell(address(coin), coinsIn) returns (uint256 out, uint256) {
            usdcOut = out;
        } catch {}
    }

    /// @dev The whole fee of a buy of `usdcIn`: an upper bound of what the trade adds to holders' revenue.
    function _feeOf(uint256 usdcIn) private view returns (uint256 fee) {
        (, fee) = dex.quoteBuy(address(coin), usdcIn);
    }

    /// @dev What `coins` may fairly earn of `revenue`: their share of the total supply, plus rounding.
    function _fairShare(uint256 coins, uint256 revenue) private view returns (uint256) {
        return (coins * revenue) / coin.totalSupply() + ROUNDING_ALLOWANCE;
    }

    function _bubble(bytes memory reason) private pure {
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }
}
