// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ShortString, ShortStrings} from "@openzeppelin/contracts/utils/ShortStrings.sol";
import {ICreatorCoin} from "./interfaces/ICreatorCoin.sol";
import {IMusicDEXHolderFees} from "./interfaces/IMusicDEXHolderFees.sol";
import {RevenueMath} from "./libraries/RevenueMath.sol";

/// @title CreatorCoin
/// @notice A creator's fixed-supply ERC-20 with permit, linear vesting of the creator's allocation, and
/// O(1) revenue sharing: each deposit raises a per-coin accumulator, and every holder is settled against it
/// in the same storage slot that holds its balance, so transfers cost little more than plain ERC-20 ones.
/// The coin is both the revenue accounting and its custody: it holds its own holders' USDC, so each coin's
/// revenue is segregated from every other coin's, and deposits and claims made on the coin itself touch
/// no other contract but USDC.
/// @dev Deployed once by the factory as the implementation; every coin is a clone of it (immutables live in
/// the implementation's code, so every clone shares FACTORY, DEX, DISTRIBUTOR and USDC).
/// Invariants: Σ balances = totalSupply, fixed at initialize (nothing mints or burns after it);
/// eligibleSupply = Σ balances of accounts not excluded; Σ (owed + pending) of all holders ≤ revenue accrued
/// − undistributedRevenue (holder shares round down, see RevenueMath); USDC held + the DEX's holderFees of
/// this coin ≥ Σ (owed + pending) + undistributedRevenue (every deposit follows the USDC it accounts for,
/// every trade's holder fee is added to the DEX's holderFees as it is accrued here, a release moves USDC
/// from there to here, and every claim pays exactly what the holder stopped being owed).
contract CreatorCoin is ERC20Permit, ICreatorCoin {
    using SafeERC20 for IERC20;
    using ShortStrings for string;
    using ShortStrings for ShortString;

    /// @dev One slot per holder. revenueSnapshot = accumulator at the last settlement, EXCLUDED if the
    /// account earns no revenue; owed = USDC units accrued and not yet claimed.
    struct Account {
        uint96 balance;
        uint96 revenueSnapshot;
        uint64 owed;
    }

    /// @dev One slot per coin. carry = USDC received but not yet spread (no eligible holders, or rounding).
    struct RevenueState {
        uint96 revenuePerToken;
        uint96 eligibleSupply;
        uint64 carry;
    }

    /// @dev Set once at initialize; launchedAt == 0 means not initialized.
    struct Launch {
        address creator;
        uint64 launchedAt;
    }

    /// @dev Set once at initialize.
    struct Supply {
        uint96 totalSupply;
        uint96 creatorAllocation;
        uint64 vestingDuration;
    }

    /// @dev Snapshot sentinel of excluded accounts; the accumulator is kept strictly below it.
    uint96 private constant EXCLUDED = type(uint96).max;
    uint256 private constant MAX_ACCUMULATOR = EXCLUDED - 1;

    /// @notice Below this eligible supply (one whole coin) deposits are carried, so that a dust holder
    /// cannot capture a whole deposit and the accumulator's precision holds.
    uint256 public constant MIN_ELIGIBLE_SUPPLY = 1e18;

    /// @notice The factory: the only caller of initialize.
    address public immutable FACTORY;
    /// @notice MusicDEX: receives the market supply, excluded from revenue (its coins are liquidity); credits
    /// each trade's holder fee (accrueMarketFees) and holds that USDC until a claim pulls it.
    address public immutable DEX;
    /// @notice RevenueDistributor: the registry and multi-coin router, the only caller of the revenue hooks.
    address public immutable DISTRIBUTOR;
    /// @notice The token revenue is deposited and paid in; an immutable so that reaching it costs no storage read.
    IERC20 public immutable USDC;

    ShortString private _coinName;
    ShortString private _coinSymbol;
    Launch private _launch;
    Supply private _supply;
    RevenueState private _revenue;
    uint256 private _released;
    mapping(address holder => Account) private _accounts;

    /// @param factory The factory that deploys this implementation and initializes its clones.
    /// @param dex The MusicDEX that receives each coin's market supply.
    /// @param distributor The RevenueDistributor that registers the coins and routes deposits and claims.
    /// @param usdc The token revenue is paid in (the distributor's).
    constructor(address factory, address dex, address distributor, IERC20 usdc)
        ERC20("", "")
        ERC20Permit("CreatorCoin")
    {
        FACTORY = factory;
        DEX = dex;
        DISTRIBUTOR = distributor;
        USDC = usdc;
    }

    /// @inheritdoc ICreatorCoin
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address creator_,
        uint256 marketAmount,
        uint256 creatorAmount,
        uint64 vestingDuration_
    ) external {
        if (msg.sender != FACTORY) revert CreatorCoinUnauthorized(msg.sender);
        if (_launch.launchedAt != 0) revert CreatorCoinAlreadyInitialized();
        uint96 supply = _toUint96(marketAmount + creatorAmount);
        _coinName = name_.toShortString();
        _coinSymbol = symbol_.toShortString();
        _launch = Launch(creator_, uint64(block.timestamp));
        // Both amounts are ≤ supply, which fits 96 bits.
        _supply = Supply(supply, uint96(creatorAmount), vestingDuration_);
        // The sentinel is written with the balance: one slot write each, and eligibleSupply stays 0.
        _accounts[DEX] = Account(uint96(marketAmount), EXCLUDED, 0);
        _accounts[address(this)] = Account(uint96(creatorAmount), EXCLUDED, 0);
        emit Transfer(address(0), DEX, marketAmount);
        emit Transfer(address(0), address(this), creatorAmount);
    }

    /// @inheritdoc ICreatorCoin
    function depositRevenue(uint256 amount) external {
        if (amount == 0) revert CreatorCoinZeroAmount();
        // USDC is trusted (fixed at deployment), and the accrual only accounts for what was received.
        USDC.safeTransferFrom(msg.sender, address(this), amount);
        _accrue(msg.sender, amount);
    }

    /// @inheritdoc ICreatorCoin
    function claimRevenue() external returns (uint256 amount) {
        amount = _claim(msg.sender);
        if (amount == 0) revert CreatorCoinNothingToClaim(msg.sender);
    }

    /// @inheritdoc ICreatorCoin
    function accrueRevenue(address from, uint256 amount) external {
        _onlyDistributor();
        _accrue(from, amount);
    }

    /// @inheritdoc ICreatorCoin
    function accrueMarketFees(uint256 amount) external {
        if (msg.sender != DEX) revert CreatorCoinUnauthorized(msg.sender);
        _accrue(msg.sender, amount);
    }

    /// @inheritdoc ICreatorCoin
    function claimRevenueFor(address holder) external returns (uint256 amount) {
        _onlyDistributor();
        amount = _claim(holder);
    }

    /// @inheritdoc ICreatorCoin
    function setRevenueExcluded(address account, bool excluded) external {
        _onlyDistributor();
        if (account == DEX || account == address(this)) revert CreatorCoinFixedExclusion(account);
        Account memory holder = _accounts[account];
        if ((holder.revenueSnapshot == EXCLUDED) == excluded) return;
        RevenueState memory state = _revenue;
        if (excluded) {
            _settle(holder, state.revenuePerToken);
            holder.revenueSnapshot = EXCLUDED;
            // The holder's balance is part of the eligible supply it is leaving.
            state.eligibleSupply -= holder.balance;
        } else {
            holder.revenueSnapshot = state.revenuePerToken;
            // Σ balances < 2^96, so the eligible part fits.
            state.eligibleSupply += holder.balance;
        }
        _accounts[account] = holder;
        _revenue = state;
    }

    /// @inheritdoc ICreatorCoin
    function releaseVested() external returns (uint256 amount) {
        amount = releasable();
        if (amount == 0) revert CreatorCoinNothingToRelease();
        _released += amount;
        address beneficiary = _launch.creator;
        _transfer(address(this), beneficiary, amount);
        emit VestingReleased(beneficiary, amount);
    }

    /// @inheritdoc ICreatorCoin
    function creator() external view returns (address) {
        return _launch.creator;
    }

    /// @inheritdoc ICreatorCoin
    function launchedAt() external view returns (uint64) {
        return _launch.launchedAt;
    }

    /// @inheritdoc ICreatorCoin
    function vestingDuration() external view returns (uint64) {
        return _supply.vestingDuration;
    }

    /// @inheritdoc ICreatorCoin
    function creatorAllocation() external view returns (uint256) {
        return _supply.creatorAllocation;
    }

    /// @inheritdoc ICreatorCoin
    function released() external view returns (uint256) {
        return _released;
    }

    /// @inheritdoc ICreatorCoin
    function claimableRevenue(address holder) external view returns (uint256) {
        Account memory account = _accounts[holder];
        if (account.revenueSnapshot == EXCLUDED) return account.owed;
        return account.owed + RevenueMath.accrued(account.balance, _revenue.revenuePerToken, account.revenueSnapshot);
    }

    /// @inheritdoc ICreatorCoin
    function revenuePerToken() external view returns (uint256) {
        return _revenue.revenuePerToken;
    }

    /// @inheritdoc ICreatorCoin
    function eligibleSupply() external view returns (uint256) {
        return _revenue.eligibleSupply;
    }

    /// @inheritdoc ICreatorCoin
    function undistributedRevenue() external view returns (uint256) {
        return _revenue.carry;
    }

    /// @inheritdoc ICreatorCoin
    function isRevenueExcluded(address account) external view returns (bool) {
        return _accounts[account].revenueSnapshot == EXCLUDED;
    }

    /// @notice The coin's name, set at launch.
    function name() public view override returns (string memory) {
        return _coinName.toString();
    }

    /// @notice The coin's symbol, set at launch.
    function symbol() public view override returns (string memory) {
        return _coinSymbol.toString();
    }

    /// @notice The fixed supply minted at launch.
    function totalSupply() public view override returns (uint256) {
        return _supply.totalSupply;
    }

    /// @notice Coins held by `account`.
    function balanceOf(address account) public view override returns (uint256) {
        return _accounts[account].balance;
    }

    /// @inheritdoc ICreatorCoin
    function vestedAmount(uint64 timestamp) public view returns (uint256) {
        Supply memory supply = _supply;
        return RevenueMath.vested(supply.creatorAllocation, _launch.launchedAt, supply.vestingDuration, timestamp);
    }

    /// @inheritdoc ICreatorCoin
    function releasable() public view returns (uint256) {
        return vestedAmount(uint64(block.timestamp)) - _released;
    }

    /// @dev Moves `value` from `from` to `to`, settling both holders' revenue in the slots being written anyway.
    /// Only transfers get here: the supply is written once in initialize and nothing mints or burns, so
    /// `from` and `to` are never zero (ERC20._transfer rejects zero addresses).
    function _update(address from, address to, uint256 value) internal override {
        // Coins sent to the coin itself would be lost in the vesting escrow; the factory and the distributor
        // cannot claim, so the revenue coins sent there would earn could never be paid.
        if (to == address(this) || to == FACTORY || to == DISTRIBUTOR) revert ERC20InvalidReceiver(to);
        Account memory sender = _accounts[from];
        if (sender.balance < value) revert ERC20InsufficientBalance(from, sender.balance, value);
        if (from != to) {
            RevenueState memory state = _revenue;
            Account memory recipient = _accounts[to];
            _settle(sender, state.revenuePerToken);
            _settle(recipient, state.revenuePerToken);
            unchecked {
                // value ≤ sender.balance < 2^96; Σ balances = totalSupply < 2^96 bounds the recipient.
                sender.balance -= uint96(value);
                recipient.balance += uint96(value);
            }
            bool senderExcluded = sender.revenueSnapshot == EXCLUDED;
            if (senderExcluded != (recipient.revenueSnapshot == EXCLUDED)) {
                unchecked {
                    // Coins entering the eligible set fit (Σ balances < 2^96); coins leaving it were part of it.
                    if (senderExcluded) state.eligibleSupply += uint96(value);
                    else state.eligibleSupply -= uint96(value);
                }
                _revenue = state;
            }
            _accounts[from] = sender;
            _accounts[to] = recipient;
        }
        emit Transfer(from, to, value);
    }

    /// @dev Spreads `amount` (already received) plus the carry over the eligible supply, or carries it all
    /// while less than MIN_ELIGIBLE_SUPPLY is eligible. One read and one write of the packed slot.
    function _accrue(address from, uint256 amount) private {
        RevenueState storage state = _revenue;
        // Read together, before any jump, so that the optimizer loads the slot once.
        uint256 carry = state.carry;
        uint256 eligible = state.eligibleSupply;
        uint256 accumulator = state.revenuePerToken;
        uint256 pending = _toUint64(carry + amount);
        if (eligible < MIN_ELIGIBLE_SUPPLY) {
            carry = pending;
        } else {
            uint256 increase = RevenueMath.perTokenIncrease(pending, eligible);
            // accumulator < 2^96 and increase < 2^154 / 1e18 (pending < 2^64, eligible ≥ 1e18): no overflow.
            unchecked {
                accumulator += increase;
            }
            if (accumulator > MAX_ACCUMULATOR) revert CreatorCoinValueOverflow(accumulator);
            // distributed ≤ pending (RevenueMath), and pending fits 64 bits.
            unchecked {
                carry = pending - RevenueMath.distributed(increase, eligible);
            }
        }
        // Written together, so that the optimizer stores the slot once.
        state.revenuePerToken = uint96(accumulator);
        state.carry = uint64(carry);
        emit RevenueDeposited(from, amount);
    }

    /// @dev Settles `holder`, zeroes what it is owed and pays it from the coin's USDC (effects before the
    /// transfer). Nothing owed: no write, no transfer, no event.
    function _claim(address holder) private returns (uint256 amount) {
        Account storage account = _accounts[holder];
        // Read together, before any jump, so that the optimizer loads the slot once.
        uint256 balance = account.balance;
        uint256 snapshot = account.revenueSnapshot;
        amount = account.owed;
        if (snapshot != EXCLUDED) {
            uint256 accumulator = _revenue.revenuePerToken;
            // The sum is paid out and zeroed below, so it need not fit the 64-bit owed field.
            amount += RevenueMath.accrued(balance, accumulator, snapshot);
            // accumulator < EXCLUDED (accrueRevenue keeps it so), so it fits 96 bits.
            snapshot = accumulator;
        }
        if (amount != 0) {
            // Written together, so that the optimizer stores the slot once.
            account.revenueSnapshot = uint96(snapshot);
            account.owed = 0;
            // Trading fees are owed here but held by the DEX until needed: pull them only when the coin's own
            // USDC falls short, so the common claim pays one transfer.
            if (!USDC.trySafeTransfer(holder, amount)) {
                IMusicDEXHolderFees(DEX).releaseHolderFees(address(this));
                USDC.safeTransfer(holder, amount);
            }
            emit RevenueClaimed(holder, amount);
        }
    }

    /// @dev Reverts unless the caller is the distributor.
    function _onlyDistributor() private view {
        if (msg.sender != DISTRIBUTOR) revert CreatorCoinUnauthorized(msg.sender);
    }

    /// @dev Adds what `account` earned since its snapshot to its owed amount and moves the snapshot to
    /// `accumulator`. Excluded accounts earn nothing.
    function _settle(Account memory account, uint256 accumulator) private pure {
        uint256 snapshot = account.revenueSnapshot;
        if (snapshot == EXCLUDED || snapshot == accumulator) return;
        account.owed = _toUint64(account.owed + RevenueMath.accrued(account.balance, accumulator, snapshot));
        // accumulator < EXCLUDED (accrueRevenue keeps it so), so it fits 96 bits.
        account.revenueSnapshot = uint96(accumulator);
    }

    /// @dev Checked narrowing to 64 bits.
    function _toUint64(uint256 value) private pure returns (uint64) {
        if (value > type(uint64).max) revert CreatorCoinValueOverflow(value);
        return uint64(value);
    }

    /// @dev Checked narrowing to 96 bits.
    function _toUint96(uint256 value) private pure returns (uint96) {
        if (value > type(uint96).max) revert CreatorCoinValueOverflow(value);
        return uint96(value);
    }
}
