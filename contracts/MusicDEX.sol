// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
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
/// holder fee is credited to the coin's holders within the trade (ICreatorCoin.accrueMarketFees), before the
/// buyer's coins arrive or after the seller's left; its USDC waits here as `holderFees`, owed to the coin.
/// @dev Invariants:
/// 1. USDC.balanceOf(this) >= Σ usdcReserve + Σ creatorFees + Σ holderFees + treasuryFees. Every buy adds
///    exactly `usdcIn` to that sum and pulls `usdcIn`; every sell removes `usdcOut` and pays `usdcOut`
///    (the fee moves from the reserve to the fee balances); every claim or release removes what it pays.
///    With the coin's own USDC, `holderFees` covers what the coin owes its holders (ICreatorCoin invariant).
/// 2. coin.balanceOf(this) >= coinReserve: the market opens only on coins already received, a buy sends
///    what it removes, a sell pulls what it adds.
/// 3. No sequence of sells takes out more USDC than buyers put in: `usdcReserve` only grows by buyers'
///    net USDC and a sell reverts (MusicDEXInsufficientReserve) rather than take the reserve below zero.
///    The check never fires for coins that came from the curve: k = (virtualUsdc + usdcReserve) *
///    coinReserve never decreases (outputs round down, fees stay outside the curve), so selling back all
///    of them leaves virtualUsdc + usdcReserve >= k0 / coinReserve0 = virtualUsdc.
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
        uint256 fee;
        (coinsOut, fee) = CurveMath.quoteBuy(m.virtualUsdc + usdcReserve, coinReserve, usdcIn);
        if (coinsOut == 0) revert MusicDEXZeroOutput(usdcIn);
        if (coinsOut < minCoinsOut) revert MusicDEXSlippage(coinsOut, minCoinsOut);

        usdcReserve += usdcIn - fee;
        // coinsOut < coinReserve (CurveMath.coinsOut), so this cannot underflow and still fits 128 bits.
        unchecked {
            coinReserve -= coinsOut;
        }
        _writeReserves(m, usdcReserve, coinReserve);
        uint256 holderFee = _accrueFees(m, fee);
        emit Swapped(coin, msg.sender, recipient, true, usdcIn, coinsOut, fee, usdcReserve, coinReserve);

        USDC.safeTransferFrom(msg.sender, address(this), usdcIn);
        // Credited before the buyer's coins arrive: he earns nothing of his own fee.
        ICreatorCoin(coin).accrueMarketFees(holderFee);
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
        uint256 fee;
        // Scoped: grossOut is dead once the reserve is updated (keeps the stack shallow).
        {
            uint256 grossOut;
            (grossOut, usdcOut, fee) = _quoteSell(m.virtualUsdc, usdcReserve, coinReserve, coinsIn);
            if (usdcOut == 0) revert MusicDEXZeroOutput(coinsIn);
            if (usdcOut < minUsdcOut) revert MusicDEXSlippage(usdcOut, minUsdcOut);
            // grossOut <= usdcReserve was checked by _quoteSell.
            unchecked {
                usdcReserve -= grossOut;
            }
        }
        coinReserve += coinsIn;
        _writeReserves(m, usdcReserve, coinReserve);
        uint256 holderFee = _accrueFees(m, fee);
        emit Swapped(coin, msg.sender, recipient, false, usdcOut, coinsIn, fee, usdcReserve, coinReserve);

        IERC20(coin).safeTransferFrom(msg.sender, address(this), coinsIn);
        // Credited after the seller's coins left: he earns nothing of his own fee.
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
        (uint256 usdcReserve, uint256 coinReserve) = _reserves(m, coin);
        return CurveMath.quoteBuy(m.virtualUsdc + usdcReserve, coinReserve, usdcIn);
    }

    /// @inheritdoc IMusicDEX
    function quoteSell(address coin, uint256 coinsIn) external view returns (uint256 usdcOut, uint256 fee) {
        _checkAmount(coinsIn);
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _reserves(m, coin);
        (, usdcOut, fee) = _quoteSell(m.virtualUsdc, usdcReserve, coinReserve, coinsIn);
    }

    /// @inheritdoc IMusicDEX
    function market(address coin) external view returns (Market memory) {
        return _markets[coin];
    }

    /// @inheritdoc IMusicDEX
    function spotPrice(address coin) external view returns (uint256) {
        Market storage m = _markets[coin];
        (uint256 usdcReserve, uint256 coinReserve) = _reserves(m, coin);
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

    /// @dev A sell's gross and net USDC out and its fee; reverts when the curve would pay out more than
    /// the real reserve (invariant 3).
    function _quoteSell(uint256 virtualUsdc, uint256 usdcReserve, uint256 coinReserve, uint256 coinsIn)
        private
        pure
        returns (uint256 grossOut, uint256 usdcOut, uint256 fee)
    {
        (grossOut, usdcOut, fee) = CurveMath.quoteSell(virtualUsdc + usdcReserve, coinReserve, coinsIn);
        if (grossOut > usdcReserve) revert MusicDEXInsufficientReserve(grossOut, usdcReserve);
    }

    /// @dev One slot write for both reserves.
    function _writeReserves(Market storage m, uint256 usdcReserve, uint256 coinReserve) private {
        (m.usdcReserve, m.coinReserve) = (usdcReserve.toUint128(), coinReserve.toUint128());
    }

    /// @dev Splits `fee` into the market's creator and holder balances and the global treasury balance;
    /// returns the holder part, which the trade credits on the coin.
    function _accrueFees(Market storage m, uint256 fee) private returns (uint256 holderFee) {
        uint256 creatorFee;
        uint256 treasuryFee;
        (creatorFee, holderFee, treasuryFee) = CurveMath.splitFee(fee);
        (m.creatorFees, m.holderFees) = ((m.creatorFees + creatorFee).toUint128(), (m.holderFees + holderFee).toUint128());
        _treasuryFees = (_treasuryFees + treasuryFee).toUint128();
    }
}
