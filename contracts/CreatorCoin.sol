// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ShortString, ShortStrings} from "@openzeppelin/contracts/utils/ShortStrings.sol";
import {ICreatorCoin} from "./interfaces/ICreatorCoin.sol";
import {IMusicDEXHolderFees} from "./interfaces/IMusicDEXHolderFees.sol";
import {PackedRevenue} from "./libraries/PackedRevenue.sol";
import {RevenueMath} from "./libraries/RevenueMath.sol";

/// @title CreatorCoin
/// @notice A creator's fixed-supply ERC-20 with permit, linear vesting of the creator's allocation, and
/// O(1) time-fair revenue sharing. The coin is both the revenue accounting and its custody: it holds its own
/// holders' USDC, so each coin's revenue is segregated from every other coin's.
///
/// Revenue timing. A deposit (or a trade's holder fee) is not credited at once: it joins the coin's locked
/// revenue, which unlocks continuously, and what unlocks is spread over the eligible supply through a per-coin
/// accumulator that every holder is settled against in the slot that holds its balance. Over `elapsed`
/// seconds, locked · elapsed / (elapsed + REVENUE_UNLOCK_TIME) unlocks (RevenueMath.unlocked). This is
/// Yearn-style profit unlocking rather than a StakingRewards reward rate, with the unlock curve made
/// hyperbolic rather than linear: its whole state (locked amount, last update) fits beside the accumulator and
/// the eligible supply in the one slot that every transfer, deposit and claim already reads, which keeps them
/// within their gas budgets (a rate and a period end would cost a second slot on each). The property that
/// matters holds exactly as for a linear unlock over REVENUE_UNLOCK_TIME: in any h seconds at most
/// locked · h / REVENUE_UNLOCK_TIME unlocks, so a holder earns at most its share of the eligible supply times
/// that: a round trip around a deposit earns what its hold time earns, not the deposit.
///
/// Who owns revenue. The whole supply is eligible except accounts governance excludes (through the
/// distributor), so revenue never waits for a first buyer: the share of the coins in the DEX market (its
/// unsold reserve) joins that market's real USDC reserve at the next trade (syncMarket), lifting the price for
/// every holder; the share of the vesting escrow follows the creator: each releaseVested pays it to the creator
/// together with the coins.
/// @dev Deployed once by the factory as the implementation; every coin is a clone of it (immutables live in
/// the implementation's code, so every clone shares FACTORY, DEX, DISTRIBUTOR and USDC).
/// Invariants: Σ balances = totalSupply, fixed at initialize (nothing mints or burns after it);
/// eligibleUnits · 1e9 ≥ Σ balances of accounts not excluded; Σ (owed + pending) of all holders ≤ revenue
/// received − locked (holder shares round down, see RevenueMath); USDC held + the DEX's holderFees of
/// this coin ≥ Σ (owed + pending) + locked (every deposit follows the USDC it accounts for, every trade's
/// holder fee is added to the DEX's holderFees as it is locked here, the market's own revenue is paid out of
/// those holderFees or sent to the DEX, a release moves USDC from there to here, and every claim pays exactly
/// what the holder stopped being owed). The accumulator seen by any holder never decreases: views and
/// transfers bring it forward in memory with the same monotone function that a stored update applies.
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

    /// @notice Below this eligible supply (one whole coin, reachable only if governance excludes nearly every
    /// holder) unlocked revenue goes to the market's reserve instead of the accumulator, whose precision needs it.
    uint256 public constant MIN_ELIGIBLE_SUPPLY = 1e18;
    /// @notice Time scale of revenue unlocking: in any h seconds at most locked · h / REVENUE_UNLOCK_TIME of
    /// the locked revenue unlocks (half of it unlocks in this time when nothing touches the coin). A week,
    /// like StakingRewards' default period: long enough that holding around a deposit pays only its hold
    /// time, short enough that holders see a deposit within days.
    uint256 public constant REVENUE_UNLOCK_TIME = 7 days;

    /// @notice The factory: the only caller of initialize.
    address public immutable FACTORY;
    /// @notice MusicDEX: receives the market supply, whose revenue it collects into the market's USDC reserve at
    /// each trade (syncMarket); locks each trade's holder fee (accrueMarketFees) and holds that USDC until a
    /// claim pulls it.
    address public immutable DEX;
    /// @notice RevenueDistributor: the registry and multi-coin router, the only caller of the revenue hooks.
    address public immutable DISTRIBUTOR;
    /// @notice The token revenue is deposited and paid in; an immutable so that reaching it costs no storage read.
    IERC20 public immutable USDC;

    ShortString private _coinName;
    ShortString private _coinSymbol;
    Launch private _launch;
    Supply private _supply;
    /// @dev One word read by every transfer, deposit and claim: accumulator, eligible supply in UNITs (rounded
    /// up), time of the last stored update, locked revenue (PackedRevenue).
    uint256 private _revenue;
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
        // The market and the escrow earn like any holder (their revenue has owners, see the header), so the
        // whole supply is eligible from the start.
        _accounts[DEX] = Account(uint96(marketAmount), 0, 0);
        _accounts[address(this)] = Account(uint96(creatorAmount), 0, 0);
        // supply < 2^96, so its UNIT count fits 64 bits; the timestamp fits 32 bits until 2106.
        _revenue = PackedRevenue.pack(0, _ceilUnits(supply), block.timestamp, 0);
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
        _onlyDex();
        _accrue(msg.sender, amount);
    }

    /// @inheritdoc ICreatorCoin
    function syncMarket(uint256 holderFee, uint256 heldForCoin) external returns (uint256 marketRevenue) {
        _onlyDex();
        (uint256 state, uint256 toMarket) = _unlock(_revenue);
        _revenue = PackedRevenue.withLocked(state, _toUint64(PackedRevenue.locked(state) + holderFee));
        Account memory market = _accounts[DEX];
        _settle(market, PackedRevenue.accumulator(state));
        marketRevenue = market.owed + toMarket;
        market.owed = 0;
        _accounts[DEX] = market;
        if (holderFee != 0) emit RevenueDeposited(DEX, holderFee);
        // The DEX pays its own revenue out of the holder fees it holds for this coin; only the excess moves.
        if (marketRevenue > heldForCoin) USDC.safeTransfer(DEX, marketRevenue - heldForCoin);
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
        (uint256 state, uint256 toMarket) = _unlock(_revenue);
        if (excluded) {
            _settle(holder, PackedRevenue.accumulator(state));
            holder.revenueSnapshot = EXCLUDED;
        } else {
            // The accumulator fits 96 bits (PackedRevenue).
            holder.revenueSnapshot = uint96(PackedRevenue.accumulator(state));
        }
        _accounts[account] = holder;
        _revenue = _moveEligible(state, holder.balance, !excluded);
        _payMarket(toMarket);
    }

    /// @inheritdoc ICreatorCoin
    function releaseVested() external returns (uint256 amount) {
        amount = releasable();
        if (amount == 0) revert CreatorCoinNothingToRelease();
        _released += amount;
        address beneficiary = _launch.creator;
        _transfer(address(this), beneficiary, amount);
        // The escrow's revenue follows the creator: the transfer settled the escrow, so what it earned moves
        // to the creator's account, claimable like any revenue.
        Account storage escrow = _accounts[address(this)];
        uint256 earned = escrow.owed;
        if (earned != 0) {
            escrow.owed = 0;
            Account storage creatorAccount = _accounts[beneficiary];
            creatorAccount.owed = _toUint64(creatorAccount.owed + earned);
        }
        // Released coins enter circulation without having been bought: the market prices sells so that they
        // are backed (IMusicDEX.recordCreatorRelease).
        IMusicDEXHolderFees(DEX).recordCreatorRelease(amount);
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
        (uint256 state,) = _unlock(_revenue);
        return account.owed
            + RevenueMath.accrued(account.balance, PackedRevenue.accumulator(state), account.revenueSnapshot);
    }

    /// @inheritdoc ICreatorCoin
    function pendingMarketRevenue() external view returns (uint256) {
        Account memory market = _accounts[DEX];
        (uint256 state, uint256 toMarket) = _unlock(_revenue);
        _settle(market, PackedRevenue.accumulator(state));
        return market.owed + toMarket;
    }

    /// @inheritdoc ICreatorCoin
    function revenuePerToken() external view returns (uint256) {
        (uint256 state,) = _unlock(_revenue);
        return PackedRevenue.accumulator(state);
    }

    /// @inheritdoc ICreatorCoin
    function eligibleSupply() external view returns (uint256) {
        return PackedRevenue.eligibleUnits(_revenue) * RevenueMath.UNIT;
    }

    /// @inheritdoc ICreatorCoin
    function undistributedRevenue() external view returns (uint256) {
        (uint256 state,) = _unlock(_revenue);
        return PackedRevenue.locked(state);
    }

    /// @inheritdoc ICreatorCoin
    function revenueState()
        external
        view
        returns (uint256 accumulator, uint256 eligibleUnits, uint256 updatedAt, uint256 locked)
    {
        uint256 state = _revenue;
        return (
            PackedRevenue.accumulator(state),
            PackedRevenue.eligibleUnits(state),
            PackedRevenue.updatedAt(state),
            PackedRevenue.locked(state)
        );
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
            // Brought forward on the stack only: the eligible supply and the locked amount do not change, so the
            // stored state will unlock the same revenue later (see the header's last invariant).
            (uint256 state, uint256 toMarket) = _unlock(_revenue);
            Account memory recipient = _accounts[to];
            uint256 accumulator = PackedRevenue.accumulator(state);
            _settle(sender, accumulator);
            _settle(recipient, accumulator);
            unchecked {
                // value ≤ sender.balance < 2^96; Σ balances = totalSupply < 2^96 bounds the recipient.
                sender.balance -= uint96(value);
                recipient.balance += uint96(value);
            }
            bool senderExcluded = sender.revenueSnapshot == EXCLUDED;
            if (senderExcluded != (recipient.revenueSnapshot == EXCLUDED)) {
                // The eligible supply changes, so the brought-forward state is stored.
                _revenue = _moveEligible(state, value, senderExcluded);
                // The market's credit goes to its in-memory copy when it is a party (that copy is written below).
                if (toMarket != 0) {
                    if (from == DEX) sender.owed = _toUint64(sender.owed + toMarket);
                    else if (to == DEX) recipient.owed = _toUint64(recipient.owed + toMarket);
                    else _payMarket(toMarket);
                }
            }
            _accounts[from] = sender;
            _accounts[to] = recipient;
        }
        emit Transfer(from, to, value);
    }

    /// @dev Brings the revenue state forward to now, then locks `amount` (already received) to unlock over
    /// time. One read and one write of the packed slot.
    function _accrue(address from, uint256 amount) private {
        (uint256 state, uint256 toMarket) = _unlock(_revenue);
        _revenue = PackedRevenue.withLocked(state, _toUint64(PackedRevenue.locked(state) + amount));
        _payMarket(toMarket);
        emit RevenueDeposited(from, amount);
    }

    /// @dev `state` brought forward to now (PackedRevenue.unlock), and what unlocked while less than
    /// MIN_ELIGIBLE_SUPPLY was eligible, which goes to the market (the caller pays it if it stores the state).
    function _unlock(uint256 state) private view returns (uint256, uint256 toMarket) {
        return PackedRevenue.unlock(state, block.timestamp, REVENUE_UNLOCK_TIME, MIN_ELIGIBLE_SUPPLY);
    }

    /// @dev `state` with `value` coins moved into (`entering`) or out of the eligible supply, in UNITs rounded
    /// so that the eligible units never count less than the eligible balances.
    function _moveEligible(uint256 state, uint256 value, bool entering) private pure returns (uint256) {
        uint256 units = PackedRevenue.eligibleUnits(state);
        // Entering coins fit: Σ balances < 2^96, so UNIT counts stay below 2^64; leaving coins were counted.
        units = entering ? units + _ceilUnits(value) : units - value / RevenueMath.UNIT;
        return PackedRevenue.withEligibleUnits(state, units);
    }

    /// @dev Credits revenue that unlocked with no eligible supply to the market account (the DEX collects it
    /// into its reserve at the next trade). Unreachable unless governance excludes nearly every holder.
    function _payMarket(uint256 amount) private {
        if (amount != 0) {
            Account storage market = _accounts[DEX];
            market.owed = _toUint64(market.owed + amount);
        }
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
            // Brought forward on the stack only (see _update).
            (uint256 state,) = _unlock(_revenue);
            uint256 accumulator = PackedRevenue.accumulator(state);
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

    /// @dev Reverts unless the caller is the DEX.
    function _onlyDex() private view {
        if (msg.sender != DEX) revert CreatorCoinUnauthorized(msg.sender);
    }

    /// @dev `value` coin units in RevenueMath.UNITs, rounded up.
    function _ceilUnits(uint256 value) private pure returns (uint256) {
        // value < 2^96, so the sum cannot overflow.
        unchecked {
            return (value + RevenueMath.UNIT - 1) / RevenueMath.UNIT;
        }
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
