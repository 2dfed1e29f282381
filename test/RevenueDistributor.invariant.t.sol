// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {CoinTestBase} from "./helpers/coin/CoinTestBase.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {CreatorCoin} from "../contracts/CreatorCoin.sol";
import {RevenueDistributor} from "../contracts/RevenueDistributor.sol";
import {MarketOpenerStub} from "./helpers/coin/MarketOpenerStub.sol";

/// @dev Drives, on two coins, random transfers, buys and sells against the DEX, deposits and claims (direct
/// on the coin and routed through the distributor), trades' holder fees locked by the DEX (USDC kept in the
/// DEX until released or pulled by a claim), the DEX collecting its market account's revenue, exclusions,
/// vesting releases and time warps (revenue unlocks over time), keeping ghost totals per coin of what was
/// deposited (holder fees included), claimed and collected by the market.
contract RevenueHandler is Test {
    MockUSDC private immutable USDC;
    RevenueDistributor private immutable DISTRIBUTOR;
    MarketOpenerStub private immutable DEX;

    CreatorCoin[2] private _coins;
    address[] private _holders;
    mapping(CreatorCoin coin => uint256) public ghostDeposited;
    mapping(CreatorCoin coin => uint256) public ghostClaimed;
    mapping(CreatorCoin coin => uint256) public ghostDeposits;
    /// @dev Holder settlements per coin (each may floor away less than one USDC unit).
    mapping(CreatorCoin coin => uint256) public ghostSettlements;
    /// @dev Revenue of the market account collected by the DEX (it leaves the coin's custody).
    mapping(CreatorCoin coin => uint256) public ghostMarketCollected;
    /// @dev Calls made: each may store one unlock, whose spread rounds away at most one USDC unit.
    uint256 public ghostCalls;

    constructor(MockUSDC usdc, RevenueDistributor distributor, CreatorCoin[2] memory coins, MarketOpenerStub dex) {
        USDC = usdc;
        DISTRIBUTOR = distributor;
        DEX = dex;
        _coins = coins;
        for (uint256 i; i < 4; ++i) _holders.push(address(uint160(0xB0B0 + i)));
        _holders.push(coins[0].creator());
        _holders.push(coins[1].creator());
    }

    modifier counted() {
        ++ghostCalls;
        _;
    }

    function holders() external view returns (address[] memory) {
        return _holders;
    }

    function buy(uint256 which, uint256 who, uint256 amount) external counted {
        CreatorCoin coin = _coin(which);
        amount = bound(amount, 0, coin.balanceOf(address(DEX)) / 100);
        DEX.sendCoins(address(coin), _pick(who), amount);
        ghostSettlements[coin] += 1;
    }

    function sell(uint256 which, uint256 who, uint256 amount) external counted {
        CreatorCoin coin = _coin(which);
        address holder = _pick(who);
        amount = bound(amount, 0, coin.balanceOf(holder));
        vm.prank(holder);
        coin.transfer(address(DEX), amount);
        ghostSettlements[coin] += 1;
    }

    function transfer(uint256 which, uint256 from, uint256 to, uint256 amount) external counted {
        CreatorCoin coin = _coin(which);
        address sender = _pick(from);
        amount = bound(amount, 0, coin.balanceOf(sender));
        vm.prank(sender);
        coin.transfer(_pick(to), amount);
        ghostSettlements[coin] += 2;
    }

    function depositRouted(uint256 which, uint256 amount) external counted {
        CreatorCoin coin = _coin(which);
        amount = bound(amount, 1, 1e12);
        USDC.mint(address(this), amount);
        USDC.approve(address(DISTRIBUTOR), amount);
        DISTRIBUTOR.deposit(address(coin), amount);
        ghostDeposited[coin] += amount;
        ghostDeposits[coin] += 1;
    }

    function depositDirect(uint256 which, uint256 amount) external counted {
        CreatorCoin coin = _coin(which);
        amount = bound(amount, 1, 1e12);
        USDC.mint(address(this), amount);
        USDC.approve(address(coin), amount);
        coin.depositRevenue(amount);
        ghostDeposited[coin] += amount;
        ghostDeposits[coin] += 1;
    }

    /// @dev A trade's holder fee: credited on the coin, its USDC kept by the DEX.
    function tradeFee(uint256 which, uint256 amount) external counted {
        CreatorCoin coin = _coin(which);
        amount = bound(amount, 1, 1e10);
        USDC.mint(address(DEX), amount);
        DEX.creditHolderFees(address(coin), amount);
        ghostDeposited[coin] += amount;
        ghostDeposits[coin] += 1;
    }

    function releaseFees(uint256 which) external counted {
        CreatorCoin coin = _coin(which);
        if (DEX.holderFees(address(coin)) != 0) DEX.releaseHolderFees(address(coin));
    }

    /// @dev Claims both coins through the router in one call.
    function claimRouted(uint256 who) external counted {
        address holder = _pick(who);
        address[] memory coins = new address[](2);
        uint256[2] memory expected;
        for (uint256 i; i < 2; ++i) {
            coins[i] = address(_coins[i]);
            expected[i] = _coins[i].claimableRevenue(holder);
        }
        uint256 before = USDC.balanceOf(holder);
        vm.prank(holder);
        uint256 total = DISTRIBUTOR.claim(coins);
        assertEq(total, expected[0] + expected[1], "router pays what was claimable");
        assertEq(USDC.balanceOf(holder) - before, total, "router total = USDC received");
        for (uint256 i; i < 2; ++i) {
            ghostClaimed[_coins[i]] += expected[i];
            ghostSettlements[_coins[i]] += 1;
        }
    }

    function claimDirect(uint256 which, uint256 who) external counted {
        CreatorCoin coin = _coin(which);
        address holder = _pick(who);
        uint256 expected = coin.claimableRevenue(holder);
        if (expected == 0) return; // a zero claim reverts (tested in the unit tests)
        vm.prank(holder);
        uint256 paid = coin.claimRevenue();
        assertEq(paid, expected, "direct claim pays what was claimable");
        ghostClaimed[coin] += paid;
        ghostSettlements[coin] += 1;
    }

    function setExcluded(uint256 which, uint256 who, bool excluded) external counted {
        CreatorCoin coin = _coin(which);
        DISTRIBUTOR.setExcluded(address(coin), _pick(who), excluded);
        ghostSettlements[coin] += 1;
    }

    function releaseVested(uint256 which, uint256 secondsLater) external counted {
        CreatorCoin coin = _coin(which);
        vm.warp(block.timestamp + bound(secondsLater, 0, 60 days));
        if (coin.releasable() != 0) {
            coin.releaseVested();
            // The escrow and the creator are settled, and the escrow's revenue moves to the creator.
            ghostSettlements[coin] += 2;
        }
    }

    /// @dev The start of a trade: the DEX collects the market account's revenue (the real DEX adds it to its
    /// reserve), paid out of the holder fees it holds for the coin and, past them, by the coin.
    function collectMarket(uint256 which, uint256 secondsLater) external counted {
        CreatorCoin coin = _coin(which);
        vm.warp(block.timestamp + bound(secondsLater, 0, 7 days));
        ghostMarketCollected[coin] += DEX.syncMarket(address(coin), 0);
        ghostSettlements[coin] += 1;
    }

    function _coin(uint256 seed) private view returns (CreatorCoin) {
        return _coins[seed % 2];
    }

    function _pick(uint256 seed) private view returns (address) {
        return _holders[seed % _holders.length];
    }
}

/// @dev Each invariant runs 64 sequences of 100 random calls (6,400 calls): the default 256 × 500 takes
/// minutes per invariant here and found nothing more. Every invariant is checked for each of the two coins.
contract RevenueDistributorInvariantTest is CoinTestBase {
    RevenueHandler private handler;
    CreatorCoin private second;

    function setUp() public {
        _deployAndLaunch();
        second = _launch(address(0xC0FFEE2), "Second Coin", "TWO");
        handler = new RevenueHandler(usdc, distributor, [coin, second], dex);
        distributor.grantRole(distributor.DEFAULT_ADMIN_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_HoldersNeverGetMoreThanDeposited() public view {
        for (uint256 c; c < 2; ++c) {
            CreatorCoin coin_ = _coinAt(c);
            assertLe(_accounted(coin_), handler.ghostDeposited(coin_), "claimed + claimable + locked <= deposited");
        }
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_DustIsBounded() public view {
        for (uint256 c; c < 2; ++c) {
            CreatorCoin coin_ = _coinAt(c);
            uint256 bound_ = handler.ghostDeposits(coin_) + handler.ghostSettlements(coin_) + handler.holders().length
                + handler.ghostCalls() + 2;
            assertLe(
                handler.ghostDeposited(coin_) - _accounted(coin_),
                bound_,
                "dust <= one unit per deposit, settlement and stored unlock"
            );
        }
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_EachCoinIsSolvent() public view {
        uint256 dexHeld;
        for (uint256 c; c < 2; ++c) {
            CreatorCoin coin_ = _coinAt(c);
            // The coin's custody is its own USDC plus the holder fees the DEX still holds for it.
            uint256 held = usdc.balanceOf(address(coin_)) + dex.holderFees(address(coin_));
            dexHeld += dex.holderFees(address(coin_)) + handler.ghostMarketCollected(coin_);
            assertGe(
                held,
                _sumClaimable(coin_) + coin_.pendingMarketRevenue() + coin_.undistributedRevenue(),
                "coin USDC + DEX holderFees >= owed + locked"
            );
            // Custody is segregated: a coin (with its DEX fees) holds exactly its own deposits minus what left it.
            assertEq(
                held,
                handler.ghostDeposited(coin_) - handler.ghostClaimed(coin_) - handler.ghostMarketCollected(coin_),
                "custody = own net"
            );
        }
        assertEq(
            usdc.balanceOf(address(dex)), dexHeld, "the DEX holds exactly the coins' holder fees and its market revenue"
        );
        assertEq(usdc.balanceOf(address(distributor)), 0, "the router holds nothing");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_BalancesSumToSupply() public view {
        address[] memory holders = handler.holders();
        for (uint256 c; c < 2; ++c) {
            CreatorCoin coin_ = _coinAt(c);
            uint256 sum = coin_.balanceOf(address(dex)) + coin_.balanceOf(address(coin_));
            for (uint256 i; i < holders.length; ++i) sum += coin_.balanceOf(holders[i]);
            assertEq(sum, coin_.totalSupply(), "sum of balances = totalSupply");
        }
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 100
    function invariant_EligibleSupplyMatchesIncludedBalances() public view {
        address[] memory holders = handler.holders();
        for (uint256 c; c < 2; ++c) {
            CreatorCoin coin_ = _coinAt(c);
            // The market and the escrow always earn (their revenue has owners).
            uint256 eligible = coin_.balanceOf(address(dex)) + coin_.balanceOf(address(coin_));
            for (uint256 i; i < holders.length; ++i) {
                if (!coin_.isRevenueExcluded(holders[i])) eligible += coin_.balanceOf(holders[i]);
            }
            // Counted in units of 1e9 rounded up: never below the eligible balances, above them by at most one
            // unit per movement across the exclusion line (each rounds up once).
            assertGe(coin_.eligibleSupply(), eligible, "eligibleSupply >= balances of included accounts");
            assertLe(
                coin_.eligibleSupply() - eligible, 1e9 * (handler.ghostCalls() + 1), "eligibleSupply rounding bound"
            );
            assertTrue(
                !coin_.isRevenueExcluded(address(dex)) && !coin_.isRevenueExcluded(address(coin_)), "fixed inclusions"
            );
        }
    }

    function _coinAt(uint256 index) private view returns (CreatorCoin) {
        return index == 0 ? coin : second;
    }

    /// @dev What holders (the escrow, whose revenue follows the creator, included) may claim now.
    function _sumClaimable(CreatorCoin coin_) private view returns (uint256 sum) {
        address[] memory holders = handler.holders();
        for (uint256 i; i < holders.length; ++i) sum += coin_.claimableRevenue(holders[i]);
        sum += coin_.claimableRevenue(address(coin_));
    }

    /// @dev Every USDC of revenue that has an owner or is still locked: claimed, claimable, the market's
    /// (collected or pending) and locked.
    function _accounted(CreatorCoin coin_) private view returns (uint256) {
        return handler.ghostClaimed(coin_) + handler.ghostMarketCollected(coin_) + _sumClaimable(coin_)
            + coin_.pendingMarketRevenue() + coin_.undistributedRevenue();
    }
}
