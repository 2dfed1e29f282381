// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {MusicDEX} from "../contracts/MusicDEX.sol";
import {IMusicDEX} from "../contracts/interfaces/IMusicDEX.sol";
import {IRevenueDistributor} from "../contracts/interfaces/IRevenueDistributor.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {DexTestCoin} from "./helpers/dex/DexTestCoin.sol";

/// @dev Drives random trades by several traders on several markets, fee claims and releases, and
/// keeps ghost totals of every USDC flow. Market 0 belongs to one solo trader; the others are shared.
contract DexHandler is Test {
    uint256 public constant SOLO_START = 200_000e6;
    uint256 private constant MAX_BUY = 100_000e6;

    MusicDEX public immutable DEX;
    MockUSDC public immutable USDC;
    address public immutable TREASURY;
    address public immutable SOLO;

    DexTestCoin[] public coins;
    address[] public creators;
    address[] public traders;

    uint256 public ghostBuyerNetIn; // Σ usdcIn - fee: what buyers put into the curves
    uint256 public ghostSellerGrossOut; // Σ USDC taken out of the curves by sells, fee included
    uint256 public ghostSellerPaid; // Σ USDC paid to sellers
    uint256 public ghostFeesAccrued;
    uint256 public ghostFeesPaidOut; // creator and treasury claims plus holder-fee releases
    uint256 public ghostReleased;
    mapping(address coin => uint256) public ghostNetIn;
    mapping(address coin => uint256) public ghostGrossOut;

    bool public ghostQuoteMismatch;
    bool public ghostKDecreased;
    bool public ghostCurveCoinsUnredeemable;
    bool public ghostRoundTripProfit;
    uint256 public calls;

    constructor(
        MusicDEX dex,
        MockUSDC usdc,
        address treasury,
        DexTestCoin[] memory coins_,
        address[] memory creators_
    ) {
        DEX = dex;
        USDC = usdc;
        TREASURY = treasury;
        SOLO = vm.addr(0x5010);
        coins = coins_;
        creators = creators_;
        for (uint256 i = 1; i <= 4; i++) traders.push(vm.addr(0x7000 + i));
        traders.push(SOLO);
        for (uint256 t = 0; t < traders.length; t++) {
            vm.startPrank(traders[t]);
            usdc.approve(address(dex), type(uint256).max);
            for (uint256 c = 0; c < coins_.length; c++) coins_[c].approve(address(dex), type(uint256).max);
            vm.stopPrank();
        }
        traders.pop(); // the solo trader only ever trades through soloBuy / soloSell
        usdc.mint(SOLO, SOLO_START);
    }

    function coinCount() external view returns (uint256) {
        return coins.length;
    }

    // ------------------------------------------------------------------ actions

    function buy(uint256 traderSeed, uint256 coinSeed, uint256 usdcIn) external {
        address trader = traders[traderSeed % traders.length];
        usdcIn = bound(usdcIn, 1, MAX_BUY);
        USDC.mint(trader, usdcIn);
        _buy(trader, _sharedCoin(coinSeed), usdcIn);
    }

    function sell(uint256 traderSeed, uint256 coinSeed, uint256 coinsIn) external {
        _sellSome(traders[traderSeed % traders.length], _sharedCoin(coinSeed), coinsIn);
    }

    function soloBuy(uint256 usdcIn) external {
        uint256 balance = USDC.balanceOf(SOLO);
        if (balance == 0) return;
        _buy(SOLO, address(coins[0]), bound(usdcIn, 1, balance));
    }

    function soloSell(uint256 coinsIn) external {
        _sellSome(SOLO, address(coins[0]), coinsIn);
    }

    /// @dev One trader buys and at once sells back what he got: he must not end richer.
    function roundTrip(uint256 traderSeed, uint256 coinSeed, uint256 usdcIn) external {
        address trader = traders[traderSeed % traders.length];
        address coin = _sharedCoin(coinSeed);
        usdcIn = bound(usdcIn, 1, MAX_BUY);
        USDC.mint(trader, usdcIn);
        uint256 usdcBefore = USDC.balanceOf(trader);
        uint256 coinsBefore = IERC20(coin).balanceOf(trader);
        uint256 got = _buy(trader, coin, usdcIn);
        if (got > 0) _sell(trader, coin, got);
        // Coins left over are those whose sale would round to zero USDC: worth nothing to him.
        if (USDC.balanceOf(trader) > usdcBefore || IERC20(coin).balanceOf(trader) < coinsBefore) {
            ghostRoundTripProfit = true;
        }
    }

    function claimCreatorFees(uint256 coinSeed) external {
        uint256 i = coinSeed % coins.length;
        address coin = address(coins[i]);
        if (DEX.market(coin).creatorFees == 0) return;
        vm.prank(creators[i]);
        ghostFeesPaidOut += DEX.claimCreatorFees(coin, creators[i]);
        calls++;
    }

    function claimTreasuryFees() external {
        if (DEX.treasuryFees() == 0) return;
        vm.prank(TREASURY);
        ghostFeesPaidOut += DEX.claimTreasuryFees(TREASURY);
        calls++;
    }

    function releaseHolderFees(uint256 coinSeed) external {
        address coin = address(coins[coinSeed % coins.length]);
        if (DEX.market(coin).holderFees == 0) return;
        uint256 amount = DEX.releaseHolderFees(coin);
        ghostFeesPaidOut += amount;
        ghostReleased += amount;
        calls++;
    }

    // ------------------------------------------------------------------ internals

    function _sharedCoin(uint256 seed) private view returns (address) {
        return address(coins[1 + (seed % (coins.length - 1))]);
    }

    function _buy(address trader, address coin, uint256 usdcIn) private returns (uint256 out) {
        (uint256 quoted, uint256 fee) = DEX.quoteBuy(coin, usdcIn);
        if (quoted == 0) return 0; // the swap would revert with MusicDEXZeroOutput
        uint256 kBefore = _k(coin);
        vm.prank(trader);
        out = DEX.buy(coin, usdcIn, quoted, trader, block.timestamp);
        if (out != quoted) ghostQuoteMismatch = true;
        if (_k(coin) < kBefore) ghostKDecreased = true;
        ghostBuyerNetIn += usdcIn - fee;
        ghostNetIn[coin] += usdcIn - fee;
        ghostFeesAccrued += fee;
        calls++;
    }

    function _sellSome(address trader, address coin, uint256 coinsIn) private {
        uint256 balance = IERC20(coin).balanceOf(trader);
        if (balance == 0) return;
        _sell(trader, coin, bound(coinsIn, 1, balance));
    }

    function _sell(address trader, address coin, uint256 coinsIn) private {
        uint256 quoted;
        uint256 fee;
        // Every coin a trader holds came from the curve, so the real reserve must always cover it.
        try DEX.quoteSell(coin, coinsIn) returns (uint256 q, uint256 f) {
            (quoted, fee) = (q, f);
        } catch {
            ghostCurveCoinsUnredeemable = true;
            return;
        }
        if (quoted == 0) return; // the swap would revert with MusicDEXZeroOutput
        uint256 reserveBefore = DEX.market(coin).usdcReserve;
        uint256 kBefore = _k(coin);
        vm.prank(trader);
        uint256 out = DEX.sell(coin, coinsIn, quoted, trader, block.timestamp);
        if (out != quoted) ghostQuoteMismatch = true;
        if (_k(coin) < kBefore) ghostKDecreased = true;
        uint256 gross = reserveBefore - DEX.market(coin).usdcReserve;
        if (gross != out + fee) ghostQuoteMismatch = true;
        ghostSellerGrossOut += gross;
        ghostGrossOut[coin] += gross;
        ghostSellerPaid += out;
        ghostFeesAccrued += fee;
        calls++;
    }

    function _k(address coin) private view returns (uint256) {
        IMusicDEX.Market memory m = DEX.market(coin);
        return (uint256(m.virtualUsdc) + m.usdcReserve) * m.coinReserve;
    }
}

/// @dev Each invariant runs its own campaign; 64 runs x 150 calls keeps the suite under a minute.
contract MusicDEXInvariantTest is Test {
    MockUSDC private usdc;
    MusicDEX private dex;
    DexHandler private handler;

    DexTestCoin[] private coins;
    address[] private creators;

    function setUp() public {
        usdc = new MockUSDC();
        address treasury = vm.addr(0x7EA5);
        // The DEX never calls its distributor (holder fees are credited on the coin), so any address will do.
        dex = new MusicDEX(usdc, IRevenueDistributor(vm.addr(0xD157)), treasury, address(this));
        dex.grantRole(dex.MARKET_OPENER_ROLE(), address(this));

        // Market 0 is the solo trader's; the shared ones differ in supply and virtual reserve.
        _open(900_000_000e18, 30_000e6, 1);
        _open(900_000_000e18, 30_000e6, 2);
        _open(1_000_000e18, 5_000e6, 3);
        _open(1_000e18, 100e6, 4);
        handler = new DexHandler(dex, usdc, treasury, coins, creators);
        targetContract(address(handler));
    }

    function _open(uint256 supply, uint256 virtualUsdc, uint256 salt) private {
        DexTestCoin coin = new DexTestCoin("Coin", "C");
        coin.mint(address(dex), supply);
        dex.setDefaultVirtualUsdc(virtualUsdc);
        address creator = vm.addr(0xC000 + salt);
        dex.openMarket(address(coin), creator, supply);
        coins.push(coin);
        creators.push(creator);
    }

    /// @dev The handler really trades: every action moves state rather than returning early.
    function test_HandlerActionsTrade() public {
        handler.buy(0, 0, 5_000e6);
        handler.sell(0, 0, type(uint256).max);
        handler.soloBuy(10_000e6);
        handler.soloSell(1e24);
        handler.roundTrip(1, 1, 1_000e6);
        handler.claimCreatorFees(1);
        handler.claimTreasuryFees();
        handler.releaseHolderFees(2);
        assertEq(handler.calls(), 9, "every action traded or paid");
        assertTrue(handler.ghostBuyerNetIn() > 0 && handler.ghostSellerGrossOut() > 0, "both sides traded");
        invariant_SoloTraderNeverProfits();
        invariant_FeesAccountedFor();
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 150
    function invariant_UsdcCoversReservesAndFees() public view {
        uint256 owed = dex.treasuryFees();
        for (uint256 i = 0; i < handler.coinCount(); i++) {
            IMusicDEX.Market memory m = dex.market(address(handler.coins(i)));
            owed += uint256(m.usdcReserve) + m.creatorFees + m.holderFees;
        }
        assertGe(usdc.balanceOf(address(dex)), owed, "USDC balance covers reserves and fees");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 150
    function invariant_CoinBalanceCoversReserve() public view {
        for (uint256 i = 0; i < handler.coinCount(); i++) {
            DexTestCoin coin = handler.coins(i);
            assertGe(coin.balanceOf(address(dex)), dex.market(address(coin)).coinReserve, "coin balance covers reserve");
        }
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 150
    function invariant_SellersNeverTakeMoreThanBuyersPutIn() public view {
        assertLe(handler.ghostSellerPaid(), handler.ghostSellerGrossOut(), "sellers paid net of fee");
        assertLe(handler.ghostSellerGrossOut(), handler.ghostBuyerNetIn(), "curves pay out at most what entered");
        for (uint256 i = 0; i < handler.coinCount(); i++) {
            address coin = address(handler.coins(i));
            assertEq(
                dex.market(coin).usdcReserve,
                handler.ghostNetIn(coin) - handler.ghostGrossOut(coin),
                "reserve is buyers' net in minus sells' gross out"
            );
        }
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 150
    function invariant_SoloTraderNeverProfits() public view {
        address solo = handler.SOLO();
        address coin = address(handler.coins(0));
        uint256 held = IERC20(coin).balanceOf(solo);
        uint256 liquidation;
        if (held > 0) (liquidation,) = dex.quoteSell(coin, held);
        assertLe(usdc.balanceOf(solo) + liquidation, handler.SOLO_START(), "solo trader never ends richer");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 150
    function invariant_RoundTripsNeverProfit() public view {
        assertTrue(!handler.ghostRoundTripProfit(), "round trip profited");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 150
    function invariant_FeesAccountedFor() public view {
        uint256 outstanding = dex.treasuryFees();
        for (uint256 i = 0; i < handler.coinCount(); i++) {
            IMusicDEX.Market memory m = dex.market(address(handler.coins(i)));
            outstanding += uint256(m.creatorFees) + m.holderFees;
        }
        assertEq(handler.ghostFeesAccrued(), outstanding + handler.ghostFeesPaidOut(), "fees accrued = owed + paid");
        uint256 released;
        for (uint256 i = 0; i < handler.coinCount(); i++) {
            DexTestCoin coin = handler.coins(i);
            // Every holder fee was credited on its coin in its trade, and its USDC is either still held by
            // the DEX for the coin or was released to it.
            assertEq(
                coin.marketFeesAccrued(),
                dex.market(address(coin)).holderFees + usdc.balanceOf(address(coin)),
                "holder fees credited = held for the coin + released to it"
            );
            released += usdc.balanceOf(address(coin));
        }
        assertEq(released, handler.ghostReleased(), "coins got every released holder fee");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 150
    function invariant_CurveIsSound() public view {
        assertTrue(!handler.ghostQuoteMismatch(), "a swap differed from its quote");
        assertTrue(!handler.ghostKDecreased(), "k decreased");
        assertTrue(!handler.ghostCurveCoinsUnredeemable(), "coins bought from the curve could not be sold");
    }
}
