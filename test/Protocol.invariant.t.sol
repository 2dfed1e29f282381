// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {ProtocolTestBase} from "./helpers/protocol/ProtocolTestBase.sol";
import {MockUSDC} from "../contracts/mocks/MockUSDC.sol";
import {MusicDEX} from "../contracts/MusicDEX.sol";
import {RevenueDistributor} from "../contracts/RevenueDistributor.sol";
import {CreatorCoin} from "../contracts/CreatorCoin.sol";
import {IMusicDEX} from "../contracts/interfaces/IMusicDEX.sol";

/// @dev Drives the protocol as deployed with a fixed cast: four fans, the creator, a depositor (the label paying
/// revenue) and the treasury. Keeps a USDC ledger per actor (in: paid for buys and deposits; out: sell proceeds,
/// revenue claims, fee claims) and, per actor, a fair-share bound of the revenue it may earn.
///
/// Fair share: an actor may earn of each revenue event (deposit, or a trade's fee) at most amount × (the most
/// coins it held from that event until now, the creator's escrowed ones counted as his) / (totalSupply − the most
/// coins ever held by excluded actors). That holds whether revenue is credited at once or unlocks over time, as
/// long as it is shared pro rata over every coin that is not excluded (the market's and the vesting escrow's
/// included). It is kept in O(1) amortised per action with a stack per actor of (max balance, revenue) segments,
/// newest on top: the windows of older events contain those of newer ones, so the maxima do not increase towards
/// the top, and a balance rising to b raises exactly the top segments below b.
contract ProtocolHandler is Test {
    struct Segment {
        uint128 maxBalance;
        uint128 revenue;
    }

    uint256 private constant MAX_BUY = 100_000e6;
    uint256 private constant MAX_DEPOSIT = 50_000e6;

    MockUSDC private immutable USDC;
    MusicDEX private immutable DEX;
    RevenueDistributor private immutable DISTRIBUTOR;
    CreatorCoin private immutable COIN;
    address private immutable ADMIN;
    address public immutable CREATOR;
    address public immutable DEPOSITOR;
    address public immutable TREASURY;

    /// @dev Fans first, then the creator and the depositor: the actors that hold coins.
    address[] private _actors;

    mapping(address actor => uint256) public ghostIn;
    mapping(address actor => uint256) public ghostOut;
    mapping(address actor => uint256) public ghostBought;
    mapping(address actor => uint256) public ghostRevenueClaimed;
    mapping(address actor => Segment[]) private _segments;
    /// @dev Σ revenue × maxBalance over the actor's segments.
    mapping(address actor => uint256) public ghostWeightedRevenue;
    uint256 public ghostTotalIn;
    uint256 public ghostTotalOut;
    uint256 public ghostTotalBought;
    /// @dev Deposits plus the whole fee of every trade (its holder part, whatever the split, is no more).
    uint256 public ghostRevenue;
    uint256 public ghostRevenueEvents;
    uint256 public ghostTradeFees;
    uint256 public ghostCreatorFeesClaimed;
    uint256 public ghostExcludedMax;
    /// @dev Sells of coins a fan or the depositor held (maybe sent by the creator) that the DEX refused to quote.
    uint256 public ghostSellsRefused;
    /// @dev Sells of the creator's coins that the DEX refused to quote.
    uint256 public ghostCreatorSellsRefused;
    /// @dev A claim that paid something other than claimableRevenue said, or a trade other than its quote.
    uint256 public ghostMismatches;
    uint256 public calls;

    constructor(MockUSDC usdc, MusicDEX dex, RevenueDistributor distributor, CreatorCoin coin, address admin) {
        USDC = usdc;
        DEX = dex;
        DISTRIBUTOR = distributor;
        COIN = coin;
        ADMIN = admin;
        CREATOR = coin.creator();
        DEPOSITOR = vm.addr(0x1ABE1);
        TREASURY = dex.treasury();
        for (uint256 i; i < 4; ++i) {
            _actors.push(vm.addr(0xFA40 + i));
        }
        _actors.push(CREATOR);
        _actors.push(DEPOSITOR);
        for (uint256 i; i < _actors.length; ++i) {
            vm.startPrank(_actors[i]);
            usdc.approve(address(dex), type(uint256).max);
            usdc.approve(address(distributor), type(uint256).max);
            usdc.approve(address(coin), type(uint256).max);
            coin.approve(address(dex), type(uint256).max);
            vm.stopPrank();
        }
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @dev The most revenue `actor` may have earned so far (see the contract's comment), rounded up.
    function fairShare(address actor) external view returns (uint256) {
        uint256 denominator = COIN.totalSupply() - ghostExcludedMax;
        return (ghostWeightedRevenue[actor] + denominator - 1) / denominator;
    }

    // ------------------------------------------------------------------ actions

    function buy(uint256 actorSeed, uint256 usdcIn) external {
        address actor = _trader(actorSeed);
        usdcIn = bound(usdcIn, 1, MAX_BUY);
        (uint256 quoted, uint256 fee) = DEX.quoteBuy(address(COIN), usdcIn);
        if (quoted == 0) return; // the buy would revert with MusicDEXZeroOutput
        USDC.mint(actor, usdcIn);
        vm.prank(actor);
        uint256 coinsOut = DEX.buy(address(COIN), usdcIn, 0, actor, block.timestamp);
        if (coinsOut != quoted) ++ghostMismatches;
        _paid(actor, usdcIn);
        ghostBought[actor] += usdcIn;
        ghostTotalBought += usdcIn;
        _observe();
        _tradeFee(fee);
    }

    function sell(uint256 actorSeed, uint256 coinsIn) external {
        address actor = _holder(actorSeed);
        uint256 balance = COIN.balanceOf(actor);
        if (balance == 0) return;
        coinsIn = bound(coinsIn, 1, balance);
        uint256 quoted;
        uint256 fee;
        try DEX.quoteSell(address(COIN), coinsIn) returns (uint256 q, uint256 f) {
            (quoted, fee) = (q, f);
        } catch {
            if (actor == CREATOR) ++ghostCreatorSellsRefused;
            else ++ghostSellsRefused;
            return;
        }
        if (quoted == 0) return; // dust the DEX pays nothing for (the sell reverts with MusicDEXZeroOutput)
        uint256 before = USDC.balanceOf(actor);
        vm.prank(actor);
        DEX.sell(address(COIN), coinsIn, 0, actor, block.timestamp);
        uint256 received = USDC.balanceOf(actor) - before;
        if (received != quoted) ++ghostMismatches;
        _received(actor, received);
        _observe();
        _tradeFee(fee);
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _holder(fromSeed);
        amount = bound(amount, 0, COIN.balanceOf(from));
        vm.prank(from);
        COIN.transfer(_holder(toSeed), amount);
        _observe();
        ++calls;
    }

    function depositDirect(uint256 amount) external {
        amount = bound(amount, 1, MAX_DEPOSIT);
        USDC.mint(DEPOSITOR, amount);
        vm.prank(DEPOSITOR);
        COIN.depositRevenue(amount);
        _deposited(amount);
    }

    function depositRouted(uint256 amount) external {
        amount = bound(amount, 1, MAX_DEPOSIT);
        USDC.mint(DEPOSITOR, amount);
        vm.prank(DEPOSITOR);
        DISTRIBUTOR.deposit(address(COIN), amount);
        _deposited(amount);
    }

    function claimDirect(uint256 actorSeed) external {
        address actor = _holder(actorSeed);
        uint256 expected = COIN.claimableRevenue(actor);
        if (expected == 0) return; // a claim of nothing reverts (CreatorCoinNothingToClaim)
        uint256 before = USDC.balanceOf(actor);
        vm.prank(actor);
        COIN.claimRevenue();
        _claimed(actor, USDC.balanceOf(actor) - before, expected);
    }

    function claimRouted(uint256 actorSeed) external {
        address actor = _holder(actorSeed);
        uint256 expected = COIN.claimableRevenue(actor);
        address[] memory coins = new address[](1);
        coins[0] = address(COIN);
        uint256 before = USDC.balanceOf(actor);
        vm.prank(actor);
        DISTRIBUTOR.claim(coins);
        _claimed(actor, USDC.balanceOf(actor) - before, expected);
    }

    function releaseVested() external {
        if (COIN.releasable() == 0) return;
        COIN.releaseVested();
        _observe();
        ++calls;
    }

    function claimCreatorFees() external {
        if (DEX.market(address(COIN)).creatorFees == 0) return;
        uint256 before = USDC.balanceOf(CREATOR);
        vm.prank(CREATOR);
        DEX.claimCreatorFees(address(COIN), CREATOR);
        uint256 received = USDC.balanceOf(CREATOR) - before;
        ghostCreatorFeesClaimed += received;
        _received(CREATOR, received);
    }

    function claimTreasuryFees() external {
        if (DEX.treasuryFees() == 0) return;
        uint256 before = USDC.balanceOf(TREASURY);
        vm.prank(TREASURY);
        DEX.claimTreasuryFees(TREASURY);
        _received(TREASURY, USDC.balanceOf(TREASURY) - before);
    }

    function setExcluded(uint256 actorSeed, bool excluded) external {
        vm.prank(ADMIN);
        DISTRIBUTOR.setExcluded(address(COIN), _holder(actorSeed), excluded);
        _observe();
        ++calls;
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 30 days));
        vm.roll(block.number + 1);
        ++calls;
    }

    // ------------------------------------------------------------------ ledger

    function _paid(address actor, uint256 amount) private {
        ghostIn[actor] += amount;
        ghostTotalIn += amount;
        ++calls;
    }

    function _received(address actor, uint256 amount) private {
        ghostOut[actor] += amount;
        ghostTotalOut += amount;
        ++calls;
    }

    function _claimed(address actor, uint256 received, uint256 expected) private {
        if (received != expected) ++ghostMismatches;
        ghostRevenueClaimed[actor] += received;
        _received(actor, received);
    }

    function _deposited(uint256 amount) private {
        _paid(DEPOSITOR, amount);
        _observe();
        _revenueEvent(amount);
    }

    function _tradeFee(uint256 fee) private {
        ghostTradeFees += fee;
        _revenueEvent(fee);
    }

    // ------------------------------------------------------------------ fair-share bound

    /// @dev Raises every actor's open windows to its balance now, and the excluded maximum.
    function _observe() private {
        uint256 excluded;
        for (uint256 i; i < _actors.length; ++i) {
            address actor = _actors[i];
            uint256 balance = COIN.balanceOf(actor);
            if (COIN.isRevenueExcluded(actor)) excluded += balance;
            balance = _entitlement(actor, balance);
            Segment[] storage segments = _segments[actor];
            uint256 merged;
            uint256 weighted = ghostWeightedRevenue[actor];
            while (segments.length != 0 && segments[segments.length - 1].maxBalance < balance) {
                Segment memory top = segments[segments.length - 1];
                merged += top.revenue;
                weighted -= uint256(top.revenue) * top.maxBalance;
                segments.pop();
            }
            if (merged != 0) {
                segments.push(Segment(uint128(balance), uint128(merged)));
                ghostWeightedRevenue[actor] = weighted + merged * balance;
            }
        }
        if (excluded > ghostExcludedMax) ghostExcludedMax = excluded;
    }

    /// @dev Opens a window for `amount` of revenue at every actor's balance now (after _observe).
    function _revenueEvent(uint256 amount) private {
        if (amount == 0) return;
        ghostRevenue += amount;
        ++ghostRevenueEvents;
        for (uint256 i; i < _actors.length; ++i) {
            address actor = _actors[i];
            uint256 balance = _entitlement(actor, COIN.balanceOf(actor));
            Segment[] storage segments = _segments[actor];
            if (segments.length != 0 && segments[segments.length - 1].maxBalance == balance) {
                segments[segments.length - 1].revenue += uint128(amount);
            } else {
                segments.push(Segment(uint128(balance), uint128(amount)));
            }
            ghostWeightedRevenue[actor] += amount * balance;
        }
    }

    /// @dev The coins whose revenue may reach `actor`: its balance, and for the creator the coins still in the
    /// vesting escrow too (a fix may let the escrow earn for him).
    function _entitlement(address actor, uint256 balance) private view returns (uint256) {
        return actor == CREATOR ? balance + COIN.balanceOf(address(COIN)) : balance;
    }

    // ------------------------------------------------------------------ picks

    /// @dev Fans and the creator trade; the depositor only pays revenue (and holds what is sent to it).
    function _trader(uint256 seed) private view returns (address) {
        return _actors[seed % (_actors.length - 1)];
    }

    function _holder(uint256 seed) private view returns (address) {
        return _actors[seed % _actors.length];
    }
}

/// @dev The protocol's invariants in terms of public behaviour only (balances, claimableRevenue,
/// undistributedRevenue, market(), quotes, trades), so that they hold across the fix of the attack review.
/// Each invariant runs the default campaign, 256 sequences of 500 calls (128,000 calls): deep enough for the whole
/// vesting to elapse (warps of up to 30 days); `npm run test:deep` runs more.
contract ProtocolInvariantTest is ProtocolTestBase {
    /// @dev Carries the outcome of a simulated exit out of the call that is reverted to undo it.
    error ExitSimulated(uint256 usdcOut);

    ProtocolHandler private handler;

    function setUp() public {
        _deployAndLaunch();
        handler = new ProtocolHandler(usdc, dex, distributor, coin, admin);
        targetContract(address(handler));
    }

    /// @dev Every action moves state rather than returning early, and the invariants hold along the way.
    function test_HandlerActionsMoveState() public {
        handler.buy(0, 20_000e6);
        handler.buy(1, 5_000e6);
        handler.depositRouted(1_000e6);
        handler.depositDirect(500e6);
        handler.warp(30 days); // long enough for revenue that unlocks over time to be claimable
        handler.claimDirect(0);
        handler.claimRouted(1);
        handler.transfer(0, 2, 1e24);
        handler.sell(1, type(uint256).max);
        handler.setExcluded(2, true);
        handler.releaseVested();
        handler.claimCreatorFees();
        handler.claimTreasuryFees();
        assertEq(handler.calls(), 13, "every action moved state");
        invariant_MoneyIsAccounted();
    }

    /// @dev The exit simulation really sells (it pays the fans) and leaves no trace.
    function test_ExitSimulationSellsAndUndoes() public {
        handler.buy(0, 20_000e6);
        handler.buy(1, 5_000e6);
        address fan = handler.actors()[0];
        uint256 coins = coin.balanceOf(fan);
        IMusicDEX.Market memory before = dex.market(address(coin));
        try this.simulateExit(true) {
            revert AssertionFailed("simulateExit returned");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), ExitSimulated.selector, "the simulation reached its end");
            assertGe(abi.decode(_tail(reason), (uint256)), 23_500e6, "fans sold for what they paid less two fees");
        }
        assertEq(coin.balanceOf(fan), coins, "the fan's coins are back");
        assertEq(dex.market(address(coin)).usdcReserve, before.usdcReserve, "the reserve is back");
        invariant_EveryHolderCanExit();
    }

    /// Every holder can exit: with everything vested released, the creator sells all he can (first, the order
    /// worst for fans), then every other actor sells all its coins, for real, in a call reverted afterwards. No
    /// sell may be refused (the creator's rest may only be worthless dust), the DEX stays solvent, selling all
    /// the actors' coins at once is quotable, and no sell was refused along the way.
    function invariant_EveryHolderCanExit() public {
        _simulateExit(true);
        assertEq(handler.ghostSellsRefused(), 0, "a sell of coins a fan held was refused along the way");
        assertEq(handler.ghostCreatorSellsRefused(), 0, "a sell of the creator's coins was refused along the way");
        // Coins in circulation only: vested coins not yet released are not sellable until releaseVested records
        // them (a quote of more than the market's outstanding coins is refused by design).
        uint256 total;
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            total += coin.balanceOf(actors[i]);
        }
        if (total != 0) dex.quoteSell(address(coin), total);
    }

    /// The money invariants, checked together after every call of one campaign (each would otherwise run a
    /// campaign of its own: the same 128,000 calls five times over): USDC conservation, custody covering every
    /// obligation, the per-actor ledger, each actor's revenue within its fair share, balances summing to supply.
    function invariant_MoneyIsAccounted() public view {
        _checkUsdcIsConserved();
        _checkCustodyCoversObligations();
        _checkNoActorTakesMoreThanWasPutIn();
        _checkRevenueWithinFairShare();
        _checkBalancesSumToSupply();
    }

    /// USDC is neither created nor lost: what the protocol's contracts hold is exactly what actors put in minus
    /// what they took out.
    function _checkUsdcIsConserved() private view {
        uint256 held =
            usdc.balanceOf(address(dex)) + usdc.balanceOf(address(coin)) + usdc.balanceOf(address(distributor));
        assertEq(held, handler.ghostTotalIn() - handler.ghostTotalOut(), "protocol USDC = actors' in - out");
        assertEq(handler.ghostMismatches(), 0, "claims and trades paid what their views said");
    }

    /// Custody covers obligations: the coin's USDC plus what the DEX holds for it covers everything claimable
    /// and carried, and the DEX's USDC covers its real reserve and fee balances.
    function _checkCustodyCoversObligations() private view {
        IMusicDEX.Market memory m = dex.market(address(coin));
        uint256 owedByCoin = _sumClaimable() + coin.undistributedRevenue();
        assertLe(owedByCoin, usdc.balanceOf(address(coin)) + m.holderFees, "coin custody covers claimable + carried");
        assertGe(usdc.balanceOf(address(dex)), _dexOwes(), "DEX USDC covers reserve and fees");
        assertGe(
            usdc.balanceOf(address(dex)) + usdc.balanceOf(address(coin)),
            owedByCoin + m.usdcReserve + m.creatorFees + dex.treasuryFees(),
            "protocol USDC covers every obligation"
        );
    }


    /// No actor takes out more than it put in, plus all the revenue ever paid in, plus what the other actors put
    /// into the curve (an early buyer fairly sells to later ones); and no actor's revenue exceeds all revenue.
    function _checkNoActorTakesMoreThanWasPutIn() private view {
        address[] memory actors = handler.actors();
        uint256 revenue = handler.ghostRevenue();
        for (uint256 i; i < actors.length; ++i) {
            address actor = actors[i];
            uint256 othersBought = handler.ghostTotalBought() - handler.ghostBought(actor);
            assertLe(
                handler.ghostOut(actor),
                handler.ghostIn(actor) + revenue + othersBought,
                "actor out <= in + revenue + others' buys"
            );
            assertLe(
                handler.ghostRevenueClaimed(actor) + coin.claimableRevenue(actor),
                revenue,
                "actor revenue <= all revenue"
            );
        }
        assertLe(handler.ghostCreatorFeesClaimed(), handler.ghostTradeFees(), "creator fees <= trade fees");
    }

    /// The stronger bound: each actor's revenue (claimed + claimable) is at most its fair share of every revenue
    /// event, i.e. of the most coins it held since the event over the supply that is not excluded (see
    /// ProtocolHandler), plus one unit of rounding per revenue event.
    function _checkRevenueWithinFairShare() private view {
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            address actor = actors[i];
            assertLe(
                handler.ghostRevenueClaimed(actor) + coin.claimableRevenue(actor),
                handler.fairShare(actor) + handler.ghostRevenueEvents(),
                "actor revenue <= fair share of the supply (revenue, bound)"
            );
        }
    }

    function _checkBalancesSumToSupply() private view {
        address[] memory actors = handler.actors();
        uint256 sum = coin.balanceOf(address(dex)) + coin.balanceOf(address(coin));
        for (uint256 i; i < actors.length; ++i) {
            sum += coin.balanceOf(actors[i]);
        }
        assertEq(sum, coin.totalSupply(), "balances sum to the supply");
    }

    /// @dev Releases what has vested, lets the creator sell all he can, sells every other actor's coins, checks
    /// the DEX stays solvent, then reverts with ExitSimulated so that none of it persists. A fan's refused sell
    /// reverts with the DEX's own error; so does the refusal of the creator's rest (if `creatorToo`), once the
    /// fans are out. Dust the DEX would pay nothing for is left (worthless, not locked).
    function simulateExit(bool creatorToo) external {
        if (coin.releasable() != 0) coin.releaseVested();
        uint256 usdcOut = _creatorSellsAllHeCan();
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            if (actors[i] != creator) usdcOut += _exit(actors[i]);
        }
        assertGe(usdc.balanceOf(address(dex)), _dexOwes(), "DEX USDC covers reserve and fees after the exit");
        // What the creator could not sell must be dust: the DEX quotes it (at zero) rather than refuse.
        uint256 left = coin.balanceOf(creator);
        if (creatorToo && left != 0) dex.quoteSell(address(coin), left);
        revert ExitSimulated(usdcOut);
    }

    /// @dev The creator sells his whole balance, or when refused, the largest of balance / 2^k the DEX accepts,
    /// again and again, as an attacker draining the reserve would. Returns the proceeds.
    /// @dev Runs simulateExit in a call that is reverted, and fails with whatever refused a sell.
    function _simulateExit(bool creatorToo) private {
        try this.simulateExit(creatorToo) {
            revert AssertionFailed("simulateExit returned");
        } catch (bytes memory reason) {
            if (bytes4(reason) != ExitSimulated.selector) _bubble(reason);
        }
    }

    function _creatorSellsAllHeCan() private returns (uint256 usdcOut) {
        uint256 shift;
        while (shift < 32) {
            uint256 amount = coin.balanceOf(creator) >> shift;
            if (amount == 0) break;
            try dex.quoteSell(address(coin), amount) returns (uint256 quoted, uint256) {
                // Dust the DEX pays nothing for is not a refusal, and it is all that is left below it.
                if (quoted == 0) break;
                vm.prank(creator);
                usdcOut += dex.sell(address(coin), amount, quoted, creator, block.timestamp);
            } catch {
                ++shift;
            }
        }
    }

    function _exit(address holder) private returns (uint256 usdcOut) {
        uint256 balance = coin.balanceOf(holder);
        if (balance == 0) return 0;
        (uint256 quoted,) = dex.quoteSell(address(coin), balance);
        if (quoted == 0) return 0;
        vm.prank(holder);
        usdcOut = dex.sell(address(coin), balance, quoted, holder, block.timestamp);
    }

    function _sumClaimable() private view returns (uint256 sum) {
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            sum += coin.claimableRevenue(actors[i]);
        }
        // The market and the vesting escrow earn nothing today; a fix may credit them, and then it is owed too.
        sum += coin.claimableRevenue(address(dex)) + coin.claimableRevenue(address(coin));
    }

    /// @dev `data` without its 4-byte selector.
    function _tail(bytes memory data) private pure returns (bytes memory tail) {
        tail = new bytes(data.length - 4);
        for (uint256 i; i < tail.length; ++i) {
            tail[i] = data[i + 4];
        }
    }

    function _bubble(bytes memory reason) private pure {
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }
}
