// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ProtocolTestBase} from "./helpers/protocol/ProtocolTestBase.sol";
import {IBeatStreamVault} from "../contracts/interfaces/IBeatStreamVault.sol";
import {ICreatorCoin} from "../contracts/interfaces/ICreatorCoin.sol";
import {BeatStreamVault} from "../contracts/BeatStreamVault.sol";
import {ICreatorCoinFactory} from "../contracts/interfaces/ICreatorCoinFactory.sol";

/// @dev A creator's holder share and its quarterly distribution, on the contracts wired as deployed, with the
/// attacks the design must withstand: a sandwich around the distribution, a creator cutting its share just before
/// one, dust settlements, early and repeated calls, and interleavings of settle, distribute and withdraw.
contract BeatStreamVaultHoldersTest is ProtocolTestBase {
    uint256 private constant LISTENER = 0x11571;
    uint256 private constant ROUNDING_ALLOWANCE = 5;

    address private attacker = vm.addr(0xA77AC);
    /// @dev A creator without a coin.
    address private newcomer = vm.addr(0x7E3C0);

    function setUp() public {
        _deployAndLaunch();
        vm.prank(newcomer);
        nft.mintTrack("ipfs://newcomer", newcomer, 500);
        _fundListener(LISTENER, 10_000_000e6);
    }

    // --------------------------------------------------------------------------------- setting a share

    function test_DeployedWithTheFactoryAndItsDistributor() public view {
        assertEq(address(vault.COIN_FACTORY()), address(factory), "factory");
        assertEq(address(vault.DISTRIBUTOR()), address(distributor), "distributor");
        assertEq(vault.DISTRIBUTION_PERIOD(), PERIOD, "period");
    }

    function test_RevertWhen_ShareAboveAllOfTheRevenue() public {
        vm.prank(creator);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultInvalidHolderShare.selector, 10_001));
        vault.setHolderShare(10_001);
    }

    function test_RevertWhen_CreatorHasNoCoin() public {
        vm.prank(newcomer);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNoCoin.selector, newcomer));
        vault.setHolderShare(1_000);
    }

    function test_RevertWhen_VaultHasNoCoinFactory() public {
        BeatStreamVault bare = new BeatStreamVault(usdc, nft, 1 days, admin, ICreatorCoinFactory(address(0)), PERIOD);
        assertEq(address(bare.DISTRIBUTOR()), address(0), "no distributor without a factory");
        vm.prank(creator);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNoCoin.selector, creator));
        bare.setHolderShare(1_000);
    }

    function test_RevertWhen_DistributionPeriodOutOfBounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IBeatStreamVault.BeatStreamVaultInvalidDistributionPeriod.selector, 3599, 1 hours, 366 days
            )
        );
        new BeatStreamVault(usdc, nft, 1 days, admin, factory, 3599);
        vm.expectRevert(
            abi.encodeWithSelector(
                IBeatStreamVault.BeatStreamVaultInvalidDistributionPeriod.selector, 366 days + 1, 1 hours, 366 days
            )
        );
        new BeatStreamVault(usdc, nft, 1 days, admin, factory, 366 days + 1);
    }

    function test_RaiseAppliesAtOnce() public {
        _share(1_000);
        assertEq(vault.holderShareOf(creator), 1_000, "share in force");
        _share(2_500);
        assertEq(vault.holderShareOf(creator), 2_500, "raised at once");
        _settle(LISTENER, creator, "s", 1_000e6);
        assertEq(vault.holderRevenueOf(creator), 250e6, "holders' quarter");
        assertEq(vault.earningsOf(creator), 750e6, "creator's rest");
    }

    function test_SettlementWithoutShareCreditsEverything() public {
        _settle(LISTENER, creator, "s", 1_000e6);
        assertEq(vault.earningsOf(creator), 1_000e6, "earnings");
        assertEq(vault.holderRevenueOf(creator), 0, "no holder revenue");
    }

    function test_ShareAppliesOnlyToRevenueSettledAfterIt() public {
        _settle(LISTENER, creator, "s", 1_000e6);
        _share(5_000);
        assertEq(vault.holderRevenueOf(creator), 0, "nothing retroactive");
        _settle(LISTENER, creator, "s", 1_400e6);
        assertEq(vault.holderRevenueOf(creator), 200e6, "half of the 400 settled after");
        assertEq(vault.earningsOf(creator), 1_200e6, "the rest");
    }

    /// The self-dealing creator: advertises 50 %, lets fans buy, and cuts to zero right before the distribution. The
    /// cut waits a whole period: what was accrued is distributed, and so is the share of every settlement until then.
    function test_LoweringJustBeforeDistributionWaitsOnePeriod() public {
        _share(5_000);
        _settle(LISTENER, creator, "s", 1_000e6);
        uint64 announced = uint64(block.timestamp);
        vm.prank(creator);
        vm.expectEmit();
        emit IBeatStreamVault.HolderShareSet(creator, 0, announced + PERIOD);
        vault.setHolderShare(0);
        (uint16 bps, uint16 nextBps, uint64 nextAt) = vault.holderShareConfig(creator);
        assertEq(bps, 5_000, "share in force until the notice ends");
        assertEq(nextBps, 0, "pending share");
        assertEq(nextAt, announced + PERIOD, "pending from");

        (, uint256 distributed) = vault.distributeHolderRevenue(creator);
        assertEq(distributed, 500e6, "what was accrued is distributed");

        _wait(PERIOD - 1);
        _settle(LISTENER, creator, "s", 2_000e6);
        assertEq(vault.holderRevenueOf(creator), 500e6, "the old share applies until the last second");
        _wait(1);
        assertEq(vault.holderShareOf(creator), 0, "lowered after one period");
        (bps, nextBps, nextAt) = vault.holderShareConfig(creator);
        assertEq(bps + nextBps + nextAt, 0, "nothing pending once applied");
        _settle(LISTENER, creator, "s", 3_000e6);
        assertEq(vault.holderRevenueOf(creator), 500e6, "no share after the notice");
        assertEq(vault.earningsOf(creator), 500e6 + 500e6 + 1_000e6, "creator's part of each settlement");
        // The share word is gone once the lowering to zero is stored: the creator is back on the cheap path.
        _settle(LISTENER, creator, "s", 3_000e6 + 1);
        assertEq(vault.earningsOf(creator), 2_000e6 + 1, "all of it");
    }

    function test_RaiseCancelsAPendingLowering() public {
        _share(5_000);
        _share(1_000);
        _share(3_000);
        (uint16 bps, uint16 nextBps, uint64 nextAt) = vault.holderShareConfig(creator);
        assertEq(bps, 5_000, "a raise to below the share in force is still a lowering");
        assertEq(nextBps, 3_000, "latest lowering");
        assertEq(nextAt, block.timestamp + PERIOD, "notice restarted");
        _share(6_000);
        (bps, nextBps, nextAt) = vault.holderShareConfig(creator);
        assertEq(bps, 6_000, "raised");
        assertEq(nextAt, 0, "pending lowering cancelled");
    }

    function test_SecondLoweringRestartsTheNotice() public {
        _share(5_000);
        _share(4_000);
        _wait(PERIOD / 2);
        _share(1_000);
        _wait(PERIOD / 2 + 1);
        assertEq(vault.holderShareOf(creator), 5_000, "notice runs from the latest lowering");
        _wait(PERIOD / 2);
        assertEq(vault.holderShareOf(creator), 1_000, "applied");
    }

    function test_WithdrawingEarningsKeepsTheShare() public {
        _share(2_000);
        _settle(LISTENER, creator, "s", 1_000e6);
        vm.prank(creator);
        vault.withdrawEarnings(creator);
        assertEq(usdc.balanceOf(creator), 800e6, "creator's part only");
        assertEq(vault.holderShareOf(creator), 2_000, "share kept");
        assertEq(vault.holderRevenueOf(creator), 200e6, "holders' part stays");
        vm.prank(creator);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNoEarnings.selector, creator));
        vault.withdrawEarnings(creator);
    }

    // --------------------------------------------------------------------------------- distribution

    function test_DistributionDepositsIntoTheCoinOncePerPeriod() public {
        _share(1_000);
        _settle(LISTENER, creator, "s", 10_000e6);
        uint64 period = uint64(block.timestamp / PERIOD);
        assertEq(vault.currentDistributionPeriod(), period, "period");
        uint256 coinBefore = usdc.balanceOf(address(coin));
        // The vault's event comes first (right after its state write), then the coin's deposit.
        vm.expectEmit();
        emit IBeatStreamVault.HolderRevenueDistributed(creator, address(coin), period, 1_000e6, attacker);
        vm.expectEmit();
        emit ICreatorCoin.RevenueDeposited(address(vault), 1_000e6);
        vm.prank(attacker);
        (uint64 distributedIn, uint256 amount) = vault.distributeHolderRevenue(creator);
        assertEq(distributedIn, period, "returned period");
        assertEq(amount, 1_000e6, "returned amount");
        assertEq(usdc.balanceOf(address(coin)) - coinBefore, 1_000e6, "coin received it");
        assertEq(vault.holderRevenueOf(creator), 0, "pool emptied");
        assertEq(vault.nextDistributionPeriod(creator), period + 1, "next period");
        assertEq(usdc.allowance(address(vault), address(distributor)), 0, "no allowance left behind");

        // Twice in a period: refused, even with more accrued.
        _settle(LISTENER, creator, "s", 20_000e6);
        vm.expectRevert(
            abi.encodeWithSelector(
                IBeatStreamVault.BeatStreamVaultDistributionTooEarly.selector,
                creator,
                period,
                uint64((period + 1) * PERIOD)
            )
        );
        vault.distributeHolderRevenue(creator);
        // The next period opens at its first second.
        vm.warp((period + 1) * PERIOD);
        (distributedIn, amount) = vault.distributeHolderRevenue(creator);
        assertEq(distributedIn, period + 1, "next period");
        assertEq(amount, 1_000e6, "the second accrual");
    }

    function test_RevertWhen_NothingAccrued() public {
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNothingToDistribute.selector, creator));
        vault.distributeHolderRevenue(creator);
        _share(1_000);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNothingToDistribute.selector, creator));
        vault.distributeHolderRevenue(creator);
        // A creator without a coin never accrues anything.
        _settle(LISTENER, newcomer, "n", 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNothingToDistribute.selector, newcomer));
        vault.distributeHolderRevenue(newcomer);
    }

    /// A too-early call does not use up the period: only a distribution that happened closes it.
    function test_EarlyFailedCallDoesNotCloseThePeriod() public {
        _share(1_000);
        vm.expectRevert(abi.encodeWithSelector(IBeatStreamVault.BeatStreamVaultNothingToDistribute.selector, creator));
        vault.distributeHolderRevenue(creator);
        _settle(LISTENER, creator, "s", 1_000e6);
        (, uint256 amount) = vault.distributeHolderRevenue(creator);
        assertEq(amount, 100e6, "distributed in the same period");
    }

    function test_DistributionIsOpenWhilePaused() public {
        _share(1_000);
        _settle(LISTENER, creator, "s", 1_000e6);
        vault.pause();
        (, uint256 amount) = vault.distributeHolderRevenue(creator);
        assertEq(amount, 100e6, "distributed while paused");
    }

    /// Fans hold the coin; the holder revenue accrued over a quarter is distributed. An attacker buys in the block
    /// of the distribution, holds up to an hour, claims and sells: he must not end with more USDC than he put in.
    function testFuzz_SandwichAroundDistributionNeverProfits(uint256 revenueSeed, uint256 buySeed, uint256 holdSeed)
        public
    {
        for (uint256 f; f < 4; ++f) {
            _buy(vm.addr(0xFA40 + f), 20_000e6 * (f + 1));
        }
        _share(10_000);
        uint256 revenue = bound(revenueSeed, 1_000e6, 5_000_000e6);
        _settle(LISTENER, creator, "s", revenue);
        _wait(3 days);
        uint256 usdcIn = bound(buySeed, 1e6, 1_000_000e6);
        _buy(attacker, usdcIn);
        vault.distributeHolderRevenue(creator);
        _wait(bound(holdSeed, 1, 3600));
        _claimQuietly(attacker);
        uint256 coins = coin.balanceOf(attacker);
        if (coins != 0 && _quoteOrZero(coins) != 0) _sell(attacker, coins);
        _claimQuietly(attacker);
        assertLe(usdc.balanceOf(attacker), usdcIn, "sandwich around a distribution profited");
    }

    /// Holders who held through the quarter are paid their share of what unlocked: a fan holding from before the
    /// distribution earns, after the coin's unlock time, close to its share of the supply.
    function test_LongHoldersArePaidTheDistribution() public {
        uint256 coins = _buy(vm.addr(0xFA40), 50_000e6);
        _share(10_000);
        _settle(LISTENER, creator, "s", 100_000e6);
        vault.distributeHolderRevenue(creator);
        _wait(60 days);
        uint256 claimed = _claimAll(vm.addr(0xFA40));
        uint256 fair = (coins * 100_000e6) / coin.totalSupply();
        assertLe(claimed, fair + ROUNDING_ALLOWANCE, "more than the supply share");
        assertGe(claimed, (fair * 85) / 100, "far less than the supply share after the unlock time");
    }

    // --------------------------------------------------------------------------------- rounding and dust

    /// The holders' part of each settled run rounds down: the creator keeps at most one unit per run, nothing is
    /// created or lost, and splitting revenue into dust runs costs holders at most one unit per run.
    function testFuzz_DustSettlementsRoundAtMostOneUnitPerRun(uint256 bpsSeed, uint256 stepSeed, uint8 runsSeed)
        public
    {
        uint256 bps = bound(bpsSeed, 1, 10_000);
        uint256 step = bound(stepSeed, 1, 50_000);
        uint256 runs = bound(runsSeed, 1, 40);
        _share(bps);
        uint256 cumulative;
        for (uint256 i; i < runs; ++i) {
            cumulative += step;
            _settle(LISTENER, creator, "dust", cumulative);
        }
        uint256 holders = vault.holderRevenueOf(creator);
        assertEq(holders + vault.earningsOf(creator), cumulative, "split adds up to what was settled");
        assertLe(holders, (cumulative * bps) / 10_000, "holders never above their exact share");
        assertGe(holders + runs, (cumulative * bps) / 10_000, "at most one unit per run to the creator");
    }

    function testFuzz_SplitIsExactShareRoundedDown(uint256 amountSeed, uint256 bpsSeed) public {
        uint256 amount = bound(amountSeed, 1, 10_000_000e6);
        uint256 bps = bound(bpsSeed, 0, 10_000);
        _share(bps);
        _settle(LISTENER, creator, "x", amount);
        assertEq(vault.holderRevenueOf(creator), (amount * bps) / 10_000, "holders");
        assertEq(vault.earningsOf(creator), amount - (amount * bps) / 10_000, "creator");
    }

    // --------------------------------------------------------------------------------- ordering

    /// Settle, distribute and withdraw in a fuzzed order over several periods: the vault always holds exactly what it
    /// owes, and every unit settled ends with the creator, in the coin, or still owed.
    function testFuzz_InterleavingsConserveValue(uint256 seed) public {
        _share(3_333);
        uint256 cumulative;
        uint256 withdrawn;
        uint256 distributed;
        for (uint256 i; i < 24; ++i) {
            uint256 action = uint256(keccak256(abi.encode(seed, i))) % 5;
            if (action == 0) {
                cumulative += 1 + (uint256(keccak256(abi.encode(seed, i, "amount"))) % 10_000e6);
                _settle(LISTENER, creator, "i", cumulative);
            } else if (action == 1 && vault.holderRevenueOf(creator) != 0
                && vault.nextDistributionPeriod(creator) <= vault.currentDistributionPeriod()) {
                (, uint256 amount) = vault.distributeHolderRevenue(creator);
                distributed += amount;
            } else if (action == 2 && vault.earningsOf(creator) != 0) {
                withdrawn += vault.earningsOf(creator);
                vm.prank(creator);
                vault.withdrawEarnings(creator);
            } else if (action == 3) {
                _wait(PERIOD / 3);
            } else {
                _share(uint256(keccak256(abi.encode(seed, i, "bps"))) % 10_001);
            }
            assertEq(
                usdc.balanceOf(address(vault)),
                vault.balanceOf(vm.addr(LISTENER)) + vault.earningsOf(creator) + vault.holderRevenueOf(creator),
                "vault holds what it owes"
            );
            assertEq(
                cumulative,
                withdrawn + distributed + vault.earningsOf(creator) + vault.holderRevenueOf(creator),
                "every settled unit accounted for"
            );
        }
    }

    // --------------------------------------------------------------------------------- helpers

    function _share(uint256 bps) private {
        vm.prank(creator);
        vault.setHolderShare(bps);
    }

    /// @dev The DEX's sell quote, or zero when it refuses to quote.
    function _quoteOrZero(uint256 coinsIn) private view returns (uint256 usdcOut) {
        try dex.quoteSell(address(coin), coinsIn) returns (uint256 out, uint256) {
            usdcOut = out;
        } catch {
            usdcOut = 0;
        }
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
}
