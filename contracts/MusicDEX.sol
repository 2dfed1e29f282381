// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICreatorCoin} from "./interfaces/ICreatorCoin.sol";
import {IMusicDEX} from "./interfaces/IMusicDEX.sol";
import {IMusicDEXHolderFees} from "./interfaces/IMusicDEXHolderFees.sol";
import {IMusicDEXMarketOpener} from "./interfaces/IMusicDEXMarketOpener.sol";
import {IRevenueDistributor} from "./interfaces/IRevenueDistributor.sol";
import {CurveMath} from "./libraries/CurveMath.sol";

/// @title MusicDEX
/// @notice The singleton market of every creator coin against USDC, on a virtual-reserve constant-product
/// curve (see CurveMath), with a 2.5 % fee accrued to creator, holder and treasury balances. Each trade's
/// holder fee is locked as the coin's revenue within the trade; its USDC waits here as `holderFees`, owed to
/// the coin. Each trade first collects the revenue the market's own coins earned into the USDC reserve.
/// @dev Invariants:
/// 1. USDC.balanceOf(this) >= Σ usdcReserve + Σ creatorFees + Σ holderFees + treasuryFees. Every buy adds
///    exactly `usdcIn` to that sum and pulls `usdcIn`; every sell removes `usdcOut` and pays `usdcOut`
///    (the fee moves from the reserve to the fee balances); every claim or release removes what it pays;
///    the market's revenue moves from holderFees to the reserve, and what exceeds holderFees arrives from
///    the coin before it is added. With the coin's own USDC, `holderFees` covers what the coin owes its
///    holders (ICreatorCoin invariant).
/// 2. coin.balanceOf(this) >= coinReserve: the market opens only on coins already received, a buy sends
///    what it removes, a sell pulls what it adds.
/// 3. Every outstanding coin can be sold, in any order, and no sequence of sells takes the real reserve
///    below zero: usdcReserve · coinReserve >= v · outstanding for the sell curve's virtual reserve v =
///    sellVirtualUsdc (by its definition), and on a constant-product curve over (v + usdcReserve,
///    coinReserve) selling all `outstanding` coins ends at (v + usdcReserve) · coinReserve /
///    (coinReserve + outstanding) >= v, i.e. pays out at most usdcReserve (outputs round down). Sells of
///    coins never exceed `outstanding`, which counts every coin outside the market and the vesting escrow.
///    Without released creator coins v = virtualUsdc: k = (virtualUsdc + usdcReserve) · coinReserve never
///    decreases (outputs round down, fees stay outside the curve, revenue only adds), so usdcReserve ·
///    coinReserve >= virtualUsdc · (coinReserve0 − coinReserve) = virtualUsdc · outstanding.
contract MusicDEX is IMusicDEX, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc IMusicDEX
    bytes32 public constant MARKET_OPENER_ROLE = keccak256("MARKET_OPENER_ROLE");
    /// @inheritdoc IMusicDEX
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IMusicDEX
    uint256 public constant MIN_VIRTUAL_USDC = 100e6;
    /// @inheritdoc IMusicDEX
    uint256 public constant MAX_VIRTUAL_USDC = 1_000_000_000e6;
    /// @dev The virtual reserve at deployment: 30,000 USDC.
    uint96 private constant INITIAL_VIRTUAL_USDC = 30_000e6;

    /// @inheritdoc IMusicDEX
    /// @dev Immutable: every reserve and fee balance is denominated in it.
    IERC20 public immutable USDC;
    /// @inheritdoc IMusicDEX
    /// @dev Immutable: the coins' registry; holder fees no longer pass through it (they are credited on the
    /// coin in each trade), it is kept so that integrators reach the whole protocol from the DEX.
    IRevenueDistributor public immutable DISTRIBUTOR;

    /// @dev Declared first so that it shares a slot with Pausable's `_paused`: a trade reads that slot
    /// for the pause check and then writes the treasury fee into it warm.
    uint128 private _treasuryFees;
    /// @dev Packed together: both change only through governance.
    address private _treasury;
    uint96 private _defaultVirtualUsdc;
    mapping(address coin => Market) private _markets;

    constructor(IERC20 usdc, IRevenueDistributor distributor, address treasury_, address admin) {
        if (address(usdc) == address(0) || address(distributor) == address(0)) revert MusicDEXZeroAddress();
        if (treasury_ == address(0) || admin == address(0)) revert MusicDEXZeroAddress();
        USDC = usdc;
        DISTRIBUTOR = distributor;
        _treasury = treasury_;
        _defaultVirtualUsdc = INITIAL_VIRTUAL_USDC;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        emit TreasuryUpdated(address(0), treasury_);
        emit DefaultVirtualUsdcUpdated(0, INITIAL_VIRTUAL_USDC);
    }

    // ------------------------------------------------------------------ market opening

    /// @inheritdoc IMusicDEXMarketOpener
    function openMarket(address coin, address creator, uint256 coinAmount) external onlyRole(MARKET_OPENER_ROLE) {
        if (coin == address(0) || creator == address(0)) revert MusicDEXZeroAddress();
        if (coinAmount == 0 || coinAmount > type(uint128).max) revert MusicDEXInvalidCoinAmount(coinAmount);
        Market storage m = _markets[coin];
        if (m.virtualUsdc != 0) revert MusicDEXMarketAlreadyOpen(coin);
        // A view call: the coin cannot reenter through it.
        uint256 balance = IERC20(coin).balanceOf(address(this));
        if (balance < coinAmount) revert MusicDEXCoinsNotReceived(coin, balance, coinAmount);
        uint96 virtualUsdc = _defaultVirtualUsdc;
        m.coinReserve = uint128(coinAmount);
        m.creator = creator;
        // outstanding starts at zero: every coin is in the market or the creator's escrow.
        m.virtualUsdc = virtualUsdc;
        emit MarketOpened(coin, creator, coinAmount, virtualUsdc);
    }

    // ------------------------------------------------------------------ trading

    /// @inheritdoc IMusicDEX
    function buy(address coin, uint256 usdcIn, uint256 minCoinsOut, address recipient, uint256 deadline)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 coinsOut)
    {
        _checkTrade(usdcIn, recipient, deadline);
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _reserves(m, coin);
        uint256 fee = CurveMath.fee(usdcIn);
        // The market's revenue joins the reserve before the trade is priced; the fee is accrued with it.
        usdcReserve += _syncMarket(m, coin, fee);
        // fee(a) <= a (CurveMath.quoteBuy).
        unchecked {
            coinsOut = CurveMath.coinsOut(m.virtualUsdc + usdcReserve, coinReserve, usdcIn - fee);
        }
        if (coinsOut == 0) revert MusicDEXZeroOutput(usdcIn);
        if (coinsOut < minCoinsOut) revert MusicDEXSlippage(coinsOut, minCoinsOut);

        usdcReserve += usdcIn - fee;
        // coinsOut < coinReserve (CurveMath.coinsOut), so this cannot underflow and still fits 128 bits.
        unchecked {
            coinReserve -= coinsOut;
        }
        _writeReserves(m, usdcReserve, coinReserve);
        m.outstanding = (m.outstanding + coinsOut).toUint96();
        emit Swapped(coin, msg.sender, recipient, true, usdcIn, coinsOut, fee, usdcReserve, coinReserve);

        USDC.safeTransferFrom(msg.sender, address(this), usdcIn);
        IERC20(coin).safeTransfer(recipient, coinsOut);
    }

    /// @inheritdoc IMusicDEX
    function sell(address coin, uint256 coinsIn, uint256 minUsdcOut, address recipient, uint256 deadline)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 usdcOut)
    {
        _checkTrade(coinsIn, recipient, deadline);
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _reserves(m, coin);
        // The market's revenue joins the reserve before the trade is priced.
        usdcReserve += _syncMarket(m, coin, 0);
        uint256 fee;
        // Scoped: grossOut and outstanding are dead once the market is updated (keeps the stack shallow).
        {
            uint256 outstanding = m.outstanding;
            // More coins than circulate cannot come from a holder; checked before the curve divides by them.
            if (coinsIn > outstanding) revert MusicDEXInvalidAmount(coinsIn);
            uint256 grossOut;
            (grossOut, usdcOut, fee) = _quoteSell(m.virtualUsdc, usdcReserve, coinReserve, outstanding, coinsIn);
            if (usdcOut == 0) revert MusicDEXZeroOutput(coinsIn);
            if (usdcOut < minUsdcOut) revert MusicDEXSlippage(usdcOut, minUsdcOut);
            // grossOut <= usdcReserve was checked by _quoteSell; coinsIn <= outstanding above.
            unchecked {
                usdcReserve -= grossOut;
                m.outstanding = uint96(outstanding - coinsIn);
            }
        }
        coinReserve += coinsIn;
        _writeReserves(m, usdcReserve, coinReserve);
        uint256 holderFee = _accrueSellFees(m, fee);
        emit Swapped(coin, msg.sender, recipient, false, usdcOut, coinsIn, fee, usdcReserve, coinReserve);

        IERC20(coin).safeTransferFrom(msg.sender, address(this), coinsIn);
        // Locked as revenue; it unlocks over time, so when it is locked within the trade does not matter.
        ICreatorCoin(coin).accrueMarketFees(holderFee);
        USDC.safeTransfer(recipient, usdcOut);
    }

    // ------------------------------------------------------------------ fees

    /// @inheritdoc IMusicDEX
    function claimCreatorFees(address coin, address to) external nonReentrant returns (uint256 amount) {
        Market storage m = _markets[coin];
        address creator = m.creator;
        if (msg.sender != creator) revert MusicDEXNotCreator(msg.sender, creator);
        if (to == address(0)) revert MusicDEXZeroAddress();
        amount = m.creatorFees;
        if (amount == 0) revert MusicDEXNoFeesToClaim(coin);
        m.creatorFees = 0;
        emit CreatorFeesClaimed(coin, creator, to, amount);
        USDC.safeTransfer(to, amount);
    }

    /// @inheritdoc IMusicDEX
    function claimTreasuryFees(address to) external nonReentrant returns (uint256 amount) {
        address treasury_ = _treasury;
        if (msg.sender != treasury_) revert MusicDEXNotTreasury(msg.sender, treasury_);
        if (to == address(0)) revert MusicDEXZeroAddress();
        amount = _treasuryFees;
        if (amount == 0) revert MusicDEXNoFeesToClaim(address(0));
        _treasuryFees = 0;
        emit TreasuryFeesClaimed(treasury_, to, amount);
        USDC.safeTransfer(to, amount);
    }

    /// @inheritdoc IMusicDEXHolderFees
    function releaseHolderFees(address coin) external nonReentrant returns (uint256 amount) {
        Market storage m = _markets[coin];
        amount = m.holderFees;
        if (amount == 0) revert MusicDEXNoFeesToClaim(coin);
        m.holderFees = 0;
        emit HolderFeesReleased(coin, msg.sender, amount);
        // Custody only: the coin accrued these to its holders in the trades that charged them.
        USDC.safeTransfer(coin, amount);
    }

    /// @inheritdoc IMusicDEXHolderFees
    function recordCreatorRelease(uint256 amount) external {
        // Only a coin with an open market can get here as msg.sender: markets open only for the factory's coins.
        Market storage m = _markets[msg.sender];
        if (m.virtualUsdc == 0) revert MusicDEXMarketNotOpen(msg.sender);
        uint256 outstanding = m.outstanding + amount;
        m.outstanding = outstanding.toUint96();
        emit CreatorCoinsReleased(msg.sender, amount, outstanding);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IMusicDEX
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert MusicDEXZeroAddress();
        emit TreasuryUpdated(_treasury, newTreasury);
        _treasury = newTreasury;
    }

    /// @inheritdoc IMusicDEX
    function setDefaultVirtualUsdc(uint256 newVirtualUsdc) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newVirtualUsdc < MIN_VIRTUAL_USDC || newVirtualUsdc > MAX_VIRTUAL_USDC) {
            revert MusicDEXInvalidVirtualUsdc(newVirtualUsdc);
        }
        emit DefaultVirtualUsdcUpdated(_defaultVirtualUsdc, newVirtualUsdc);
        // MAX_VIRTUAL_USDC < 2^96.
        _defaultVirtualUsdc = uint96(newVirtualUsdc);
    }

    /// @inheritdoc IMusicDEX
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IMusicDEX
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMusicDEX
    function quoteBuy(address coin, uint256 usdcIn) external view returns (uint256 coinsOut, uint256 fee) {
        _checkAmount(usdcIn);
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _pendingReserves(m, coin);
        return CurveMath.quoteBuy(m.virtualUsdc + usdcReserve, coinReserve, usdcIn);
    }

    /// @inheritdoc IMusicDEX
    function quoteSell(address coin, uint256 coinsIn) external view returns (uint256 usdcOut, uint256 fee) {
        _checkAmount(coinsIn);
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _pendingReserves(m, coin);
        uint256 outstanding = m.outstanding;
        if (coinsIn > outstanding) revert MusicDEXInvalidAmount(coinsIn);
        (, usdcOut, fee) = _quoteSell(m.virtualUsdc, usdcReserve, coinReserve, outstanding, coinsIn);
    }

    /// @inheritdoc IMusicDEX
    function sellVirtualUsdc(address coin) external view returns (uint256) {
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _pendingReserves(m, coin);
        return _backedVirtualUsdc(m.virtualUsdc, usdcReserve, coinReserve, m.outstanding);
    }

    /// @inheritdoc IMusicDEX
    function market(address coin) external view returns (Market memory) {
        return _markets[coin];
    }

    /// @inheritdoc IMusicDEX
    function spotPrice(address coin) external view returns (uint256) {
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _pendingReserves(m, coin);
        return CurveMath.spotPrice(m.virtualUsdc + usdcReserve, coinReserve);
    }

    /// @inheritdoc IMusicDEX
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IMusicDEX
    function treasuryFees() external view returns (uint256) {
        return _treasuryFees;
    }

    /// @inheritdoc IMusicDEX
    function defaultVirtualUsdc() external view returns (uint256) {
        return _defaultVirtualUsdc;
    }

    // ------------------------------------------------------------------ private

    /// @dev Common checks of `buy` and `sell`.
    function _checkTrade(uint256 amountIn, address recipient, uint256 deadline) private view {
        if (block.timestamp > deadline) revert MusicDEXDeadlinePassed(deadline, block.timestamp);
        if (recipient == address(0)) revert MusicDEXZeroAddress();
        _checkAmount(amountIn);
    }

    /// @dev Amounts above 128 bits cannot be real and would overflow the curve's sums.
    function _checkAmount(uint256 amount) private pure {
        if (amount == 0 || amount > type(uint128).max) revert MusicDEXInvalidAmount(amount);
    }

    /// @dev The market's reserves; reverts when it is not open (a closed market has a zero coin reserve,
    /// an open one never reaches zero because a buy always leaves at least one coin).
    function _reserves(Market storage m, address coin) private view returns (uint256 usdcReserve, uint256 coinReserve) {
        (usdcReserve, coinReserve) = (m.usdcReserve, m.coinReserve);
        if (coinReserve == 0) revert MusicDEXMarketNotOpen(coin);
    }

    /// @dev The market's reserves with the revenue its coins earned since the last trade included, as the next
    /// trade will see them.
    function _pendingReserves(Market storage m, address coin)
        private
        view
        returns (uint256 usdcReserve, uint256 coinReserve)
    {
        (usdcReserve, coinReserve) = _reserves(m, coin);
        usdcReserve += ICreatorCoin(coin).pendingMarketRevenue();
    }

    /// @dev Collects the revenue the market's coins earned into the reserve (returned, the caller adds it) and
    /// accrues a buy's `fee` (zero for a sell, whose fee is known only once priced): the holder part is locked
    /// as the coin's revenue. The coin pays the market's revenue out of the holder fees the DEX holds for it,
    /// sending only what exceeds them.
    function _syncMarket(Market storage m, address coin, uint256 fee) private returns (uint256 revenue) {
        uint256 creatorFee;
        uint256 holderFee;
        uint256 treasuryFee;
        if (fee != 0) (creatorFee, holderFee, treasuryFee) = CurveMath.splitFee(fee);
        uint256 held = m.holderFees;
        revenue = ICreatorCoin(coin).syncMarket(holderFee, held);
        uint256 kept = revenue < held ? revenue : held;
        // kept <= held.
        unchecked {
            held -= kept;
        }
        if (fee != 0) {
            (m.creatorFees, m.holderFees) = ((m.creatorFees + creatorFee).toUint80(), (held + holderFee).toUint80());
            _treasuryFees = (_treasuryFees + treasuryFee).toUint128();
        } else if (kept != 0) {
            // held only decreased, so it still fits.
            m.holderFees = uint80(held);
        }
    }

    /// @dev A sell's gross and net USDC out and its fee, on the backed curve (invariant 3); reverts when the
    /// curve would pay out more than the real reserve, which that curve never does.
    function _quoteSell(
        uint256 virtualUsdc,
        uint256 usdcReserve,
        uint256 coinReserve,
        uint256 outstanding,
        uint256 coinsIn
    ) private pure returns (uint256 grossOut, uint256 usdcOut, uint256 fee) {
        uint256 backedVirtual = _backedVirtualUsdc(virtualUsdc, usdcReserve, coinReserve, outstanding);
        (grossOut, usdcOut, fee) = CurveMath.quoteSell(backedVirtual + usdcReserve, coinReserve, coinsIn);
        if (grossOut > usdcReserve) revert MusicDEXInsufficientReserve(grossOut, usdcReserve);
    }

    /// @dev min(virtualUsdc, usdcReserve · coinReserve / outstanding), rounded down: the largest virtual reserve
    /// v with usdcReserve · coinReserve >= v · outstanding (invariant 3).
    function _backedVirtualUsdc(uint256 virtualUsdc, uint256 usdcReserve, uint256 coinReserve, uint256 outstanding)
        private
        pure
        returns (uint256)
    {
        // Cheap test first: usdcReserve, coinReserve < 2^128 and virtualUsdc, outstanding < 2^96, so neither
        // product overflows.
        if (usdcReserve * coinReserve < virtualUsdc * outstanding) return Math.mulDiv(usdcReserve, coinReserve, outstanding);
        return virtualUsdc;
    }

    /// @dev One slot write for both reserves.
    function _writeReserves(Market storage m, uint256 usdcReserve, uint256 coinReserve) private {
        (m.usdcReserve, m.coinReserve) = (usdcReserve.toUint128(), coinReserve.toUint128());
    }

    /// @dev Splits a sell's `fee` and adds its parts to the balances; returns the holder part, which the sell
    /// locks on the coin.
    function _accrueSellFees(Market storage m, uint256 fee) private returns (uint256 holderFee) {
        uint256 creatorFee;
        uint256 treasuryFee;
        (creatorFee, holderFee, treasuryFee) = CurveMath.splitFee(fee);
        _accrueFees(m, creatorFee, holderFee, treasuryFee);
    }

    /// @dev Adds a trade's fee parts to the market's creator and holder balances and the treasury balance.
    function _accrueFees(Market storage m, uint256 creatorFee, uint256 holderFee, uint256 treasuryFee) private {
        (m.creatorFees, m.holderFees) = ((m.creatorFees + creatorFee).toUint80(), (m.holderFees + holderFee).toUint80());
        _treasuryFees = (_treasuryFees + treasuryFee).toUint128();
    }
}
