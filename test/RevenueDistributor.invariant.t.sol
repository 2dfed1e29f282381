// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {CoinTestBase} from "./helpers/coin/CoinTestBase.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {CreatorCoin} from "../contracts/CreatorCoin.sol";
import {RevenueDistributor} from "../contracts/RevenueDistributor.sol";
import {MarketOpenerStub} from "./helpers/coin/MarketOpenerStub.sol";

/// @dev Drives random transfers, buys and sells against the DEX, deposits, claims, exclusions, vesting
/// releases and time warps, keeping ghost totals of what was deposited and claimed.
contract RevenueHandler is Test {
    MockUSDC private immutable USDC;
    RevenueDistributor private immutable DISTRIBUTOR;
    CreatorCoin private immutable COIN;
    MarketOpenerStub private immutable DEX;

    address[] private _holders;
    uint256 public ghostDeposited;
    uint256 public ghostClaimed;
    uint256 public ghostDeposits;
    /// @dev Holder settlements (each may floor away less than one USDC unit).
    uint256 public ghostSettlements;

    constructor(MockUSDC usdc, RevenueDistributor distributor, CreatorCoin coin, MarketOpenerStub dex) {
        USDC = usdc;
        DISTRIBUTOR = distributor;
        COIN = coin;
        DEX = dex;
        for (uint256 i; i < 4; ++i) _holders.push(address(uint160(0xB0B0 + i)));
        _holders.push(coin.creator());
    }

    function holders() external view returns (address[] memory) {
        return _holders;
    }

    function buy(uint256 who, uint256 amount) external {
        amount = bound(amount, 0, COIN.balanceOf(address(DEX)) / 100);
        DEX.sendCoins(address(COIN), _pick(who), amount);
        ghostSettlements += 1;
    }

    function sell(uint256 who, uint256 amount) external {
        address holder = _pick(who);
        amount = bound(amount, 0, COIN.balanceOf(holder));
        vm.prank(holder);
        COIN.transfer(address(DEX), amount);
        ghostSettlements += 1;
    }

    function transfer(uint256 from, uint256 to, uint256 amount) external {
        address sender = _pick(from);
        amount = bound(amount, 0, COIN.balanceOf(sender));
        vm.prank(sender);
        COIN.transfer(_pick(to), amount);
        ghostSettlements += 2;
    }

    function deposit(uint256 amount) external {
        amount = bound(amount, 1, 1e12);
        USDC.mint(address(this), amount);
        USDC.approve(address(DISTRIBUTOR), amount);
        DISTRIBUTOR.deposit(address(COIN), amount);
        ghostDeposited += amount;
        ghostDeposits += 1;
    }

    function claim(uint256 who) external {
        address holder = _pick(who);
        address[] memory coins = new address[](1);
        coins[0] = address(COIN);
        vm.prank(holder);
        ghostClaimed += DISTRIBUTOR.claim(coins);
        ghostSettlements += 1;
    }

    function setExcluded(uint256 who, bool excluded) external {
        DISTRIBUTOR.setExcluded(address(COIN), _pick(who), excluded);
        ghostSettlements += 1;
    }

    function releaseVested(uint256 secondsLater) external {
        vm.warp(block.timestamp + bound(secondsLater, 0, 60 days));
        if (COIN.releasable() != 0) {
            COIN.releaseVested();
            ghostSettlements += 1;
        }
    }

    function _pick(uint256 seed) private view returns (address) {
        return _holders[seed % _holders.length];
    }
}

/// @dev Each invariant runs 64 sequences of 100 random calls (6,400 calls): the default 256 × 500 takes
/// minutes per invariant here and found nothing more.
contract RevenueDistributorInvariantTest is CoinTestBase {
    RevenueHandler private handler;

    function setUp() public {
        _deployAndLaunch();
        handler = new RevenueHandler(usdc, distributor, coin, dex);
        distributor.grantRole(distributor.DEFAULT_ADMIN_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_HoldersNeverGetMoreThanDeposited() public view {
        assertLe(
            handler.ghostClaimed() + _sumClaimable() + coin.undistributedRevenue(),
            handler.ghostDeposited(),
            "claimed + claimable + carried <= deposited"
        );
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_DustIsBounded() public view {
        uint256 accounted = handler.ghostClaimed() + _sumClaimable() + coin.undistributedRevenue();
        uint256 bound_ = handler.ghostDeposits() + handler.ghostSettlements() + handler.holders().length;
        assertLe(handler.ghostDeposited() - accounted, bound_, "dust <= one unit per deposit and settlement");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_DistributorIsSolvent() public view {
        assertGe(
            usdc.balanceOf(address(distributor)),
            _sumClaimable() + coin.undistributedRevenue(),
            "USDC held >= claimable + carried"
        );
        assertEq(
            usdc.balanceOf(address(distributor)),
            handler.ghostDeposited() - handler.ghostClaimed(),
            "USDC held = deposited - claimed"
        );
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_BalancesSumToSupply() public view {
        address[] memory holders = handler.holders();
        uint256 sum = coin.balanceOf(address(dex)) + coin.balanceOf(address(coin));
        for (uint256 i; i < holders.length; ++i) sum += coin.balanceOf(holders[i]);
        assertEq(sum, coin.totalSupply(), "sum of balances = totalSupply");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_EligibleSupplyMatchesIncludedBalances() public view {
        address[] memory holders = handler.holders();
        uint256 eligible;
        for (uint256 i; i < holders.length; ++i) {
            if (!coin.isRevenueExcluded(holders[i])) eligible += coin.balanceOf(holders[i]);
        }
        assertEq(coin.eligibleSupply(), eligible, "eligibleSupply = balances of included accounts");
        assertTrue(coin.isRevenueExcluded(address(dex)) && coin.isRevenueExcluded(address(coin)), "fixed exclusions");
    }

    function _sumClaimable() private view returns (uint256 sum) {
        address[] memory holders = handler.holders();
        for (uint256 i; i < holders.length; ++i) sum += coin.claimableRevenue(holders[i]);
    }
}
