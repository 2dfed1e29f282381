// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Amounts, flags and parameters are event data, not filters: the indexer filters on the indexed addresses
// (STYLE 3), and these signatures are the ones it decodes. Indexing them would also cost more gas.
/* solhint-disable gas-indexed-events */

/// @title ICreatorCoin
/// @notice A creator's coin: an ERC-20 with EIP-2612 permit (name and symbol per creator, EIP-712 domain
/// name "CreatorCoin", version "1", verifying contract = the coin), deployed by the factory as a clone.
/// Its supply is minted once at launch: the market share to the DEX, the creator's allocation to the coin
/// itself, from where it vests linearly to the creator. The coin is also the accounting and the custody of
/// its holders' revenue: it holds the USDC deposited for them and keeps each holder's share in an accumulator
/// per coin, settled on transfer beside the holder's balance. Revenue unlocks over time (REVENUE_UNLOCK_TIME),
/// so a holder earns its share of the eligible supply over the time it held, and the whole supply is eligible
/// but for accounts governance excludes: the DEX market's share joins the market's USDC reserve, the vesting
/// escrow's share is paid to the creator at each release. Deposits and claims are made on the coin
/// directly (cheapest), or through the RevenueDistributor, the registry and multi-coin router, which calls
/// the DISTRIBUTOR-only hooks below.
/// @dev The ERC-20 and permit functions are the standard ones (IERC20Metadata, IERC20Permit, IERC5267).
/// Periodic ("quarterly") distributions are ordinary deposits made on a schedule; there is no separate
/// mechanism. Views of revenue (claimableRevenue, revenuePerToken, undistributedRevenue) answer as of the
/// current block, with what unlocked since the last stored update included. USDC sent to the coin by a plain transfer instead of a deposit is not accounted for. Coins
/// cannot be sent to the coin itself, the factory or the distributor (ERC20InvalidReceiver): they could never
/// claim the revenue such coins would earn.
interface ICreatorCoin {
    /// @notice `caller` is not the contract allowed to call this function (the factory, the distributor or the DEX).
    error CreatorCoinUnauthorized(address caller);
    /// @notice `initialize` was already called on this coin.
    error CreatorCoinAlreadyInitialized();
    /// @notice `value` does not fit the packed width that stores it (see RevenueMath for why this is unreachable
    /// in realistic use).
    error CreatorCoinValueOverflow(uint256 value);
    /// @notice `account` (the DEX or the coin's own vesting escrow) always earns revenue (for the market's reserve
    /// and for the creator) and cannot be excluded.
    error CreatorCoinFixedExclusion(address account);
    /// @notice Nothing has vested since the last release.
    error CreatorCoinNothingToRelease();
    /// @notice A revenue deposit of zero.
    error CreatorCoinZeroAmount();
    /// @notice `holder` has no revenue to claim.
    error CreatorCoinNothingToClaim(address holder);

    /// @notice `amount` vested coins were paid to `creator`.
    event VestingReleased(address indexed creator, uint256 amount);
    /// @notice `from` deposited `amount` USDC of revenue (routed deposits name the original depositor).
    /// The resulting state is read from revenuePerToken() and undistributedRevenue() at that block; the event
    /// carries no more on purpose (each data word costs every deposit 256 gas).
    event RevenueDeposited(address indexed from, uint256 amount);
    /// @notice `holder` was paid `amount` USDC of revenue (directly or through the distributor).
    event RevenueClaimed(address indexed holder, uint256 amount);

    /// @notice Sets the coin's per-clone values and mints its fixed supply: `marketAmount` to the DEX and
    /// `creatorAmount` to the coin itself, vesting to `creator` linearly over `vestingDuration` from now.
    /// Only the factory, only once. Both holders earn revenue (the market's goes to its reserve, the escrow's to
    /// the creator), so the whole supply is eligible from launch.
    function initialize(
        string calldata name,
        string calldata symbol,
        address creator,
        uint256 marketAmount,
        uint256 creatorAmount,
        uint64 vestingDuration
    ) external;

    /// @notice Pulls `amount` USDC from the caller (who approved this coin) and locks it as revenue that unlocks
    /// over time to the eligible supply pro rata to balances (see REVENUE_UNLOCK_TIME). Anyone may deposit.
    /// Reverts on zero.
    function depositRevenue(uint256 amount) external;

    /// @notice Settles the caller, zeroes what it is owed and pays it in USDC. Reverts if nothing is owed.
    /// When the coin's own USDC falls short (trading fees still held by the DEX), it first pulls them in.
    /// @return amount USDC (6 decimals) paid.
    function claimRevenue() external returns (uint256 amount);

    /// @notice Accounts for `amount` USDC that the distributor has just moved from `from` into this coin,
    /// exactly as depositRevenue does. Only the distributor.
    function accrueRevenue(address from, uint256 amount) external;

    /// @notice Locks `amount` USDC of a DEX trade's holder fee as revenue, exactly as a deposit would (emits
    /// RevenueDeposited naming the DEX), but moves no USDC: it stays in the DEX as this coin's `holderFees`
    /// until released to the coin (IMusicDEXHolderFees.releaseHolderFees), which claims do on demand. Called
    /// in every sell once it is priced. Only the DEX.
    function accrueMarketFees(uint256 amount) external;

    /// @notice Called by the DEX at the start of every trade, before it prices it: brings the revenue state
    /// forward to now and stores it, locks `holderFee` (a buy's holder fee, 0 for a sell) like
    /// accrueMarketFees, and settles the market account (the DEX's coins), whose revenue the DEX adds to the
    /// market's USDC reserve. The DEX holds `heldForCoin` USDC of this coin's holder fees and pays the
    /// market's revenue out of them; the coin sends it only what exceeds them. Only the DEX.
    /// @return marketRevenue USDC of revenue earned by the market's coins since the last trade.
    function syncMarket(uint256 holderFee, uint256 heldForCoin) external returns (uint256 marketRevenue);

    /// @notice Settles `holder`, zeroes what it is owed and pays it in USDC; pays and emits nothing when
    /// nothing is owed (so a multi-coin claim does not fail on one empty coin). Only the distributor.
    /// @return amount USDC (6 decimals) paid to `holder`.
    function claimRevenueFor(address holder) external returns (uint256 amount);

    /// @notice Excludes `account` from (or includes it back in) future revenue; what it earned so far stays
    /// claimable. Only the distributor. The DEX and the coin itself cannot be changed. No-op if unchanged.
    function setRevenueExcluded(address account, bool excluded) external;

    /// @notice Pays the creator everything vested and not yet released, and moves the revenue the escrow
    /// earned to the creator's claimable revenue. Tells the DEX that `amount` coins entered circulation
    /// (IMusicDEXHolderFees.recordCreatorRelease). Anyone may call.
    /// @return amount Coins released.
    function releaseVested() external returns (uint256 amount);

    /// @notice The creator the coin was launched for; the vesting beneficiary.
    function creator() external view returns (address);

    /// @notice Launch time: the start of vesting.
    function launchedAt() external view returns (uint64);

    /// @notice Seconds over which the creator's allocation vests linearly.
    function vestingDuration() external view returns (uint64);

    /// @notice The creator's allocation minted to the coin at launch.
    function creatorAllocation() external view returns (uint256);

    /// @notice Part of the creator's allocation vested at `timestamp`.
    function vestedAmount(uint64 timestamp) external view returns (uint256);

    /// @notice Vested coins not yet released.
    function releasable() external view returns (uint256);

    /// @notice Coins already released to the creator.
    function released() external view returns (uint256);

    /// @notice USDC (6 decimals) `holder` may claim now, including what unlocked since the last stored update.
    function claimableRevenue(address holder) external view returns (uint256);

    /// @notice USDC of revenue earned by the market's coins (the DEX's balance) that the next trade adds to
    /// the market's USDC reserve.
    function pendingMarketRevenue() external view returns (uint256);

    /// @notice Revenue accumulator as of now: USDC units per coin unit, scaled by 1e27, summed over all
    /// unlocked revenue.
    function revenuePerToken() external view returns (uint256);

    /// @notice Supply held by accounts that earn revenue, counted in units of 1e9 (a billionth of a coin)
    /// rounded up.
    function eligibleSupply() external view returns (uint256);

    /// @notice Revenue received and still locked as of now: it unlocks to holders over time.
    function undistributedRevenue() external view returns (uint256);

    /// @notice The stored revenue state, as of `updatedAt`: the accumulator, the eligible supply in units of
    /// 1e9 coin units, the time of the last stored update and the revenue then locked. With REVENUE_UNLOCK_TIME
    /// it determines every revenue view at any later time (for indexers and auditors).
    function revenueState()
        external
        view
        returns (uint256 accumulator, uint256 eligibleUnits, uint256 updatedAt, uint256 locked);

    /// @notice Whether `account` is excluded from revenue.
    function isRevenueExcluded(address account) external view returns (bool);
}
