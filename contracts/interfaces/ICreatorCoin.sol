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
/// per coin, settled on transfer beside the holder's balance. Deposits and claims are made on the coin
/// directly (cheapest), or through the RevenueDistributor, the registry and multi-coin router, which calls
/// the DISTRIBUTOR-only hooks below.
/// @dev The ERC-20 and permit functions are the standard ones (IERC20Metadata, IERC20Permit, IERC5267).
/// Periodic ("quarterly") distributions are ordinary deposits made on a schedule; there is no separate
/// mechanism. USDC sent to the coin by a plain transfer instead of a deposit is not accounted for. Coins
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
    /// @notice `account` (the DEX or the coin's own vesting escrow) is always excluded from revenue.
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
    /// Only the factory, only once. Both holders start excluded from revenue.
    function initialize(
        string calldata name,
        string calldata symbol,
        address creator,
        uint256 marketAmount,
        uint256 creatorAmount,
        uint64 vestingDuration
    ) external;

    /// @notice Pulls `amount` USDC from the caller (who approved this coin) and spreads it, plus any carried
    /// revenue, over the eligible supply pro rata to balances; while less than MIN_ELIGIBLE_SUPPLY is
    /// eligible, carries it to the next deposit instead. Anyone may deposit. Reverts on zero.
    function depositRevenue(uint256 amount) external;

    /// @notice Settles the caller, zeroes what it is owed and pays it in USDC. Reverts if nothing is owed.
    /// When the coin's own USDC falls short (trading fees still held by the DEX), it first pulls them in.
    /// @return amount USDC (6 decimals) paid.
    function claimRevenue() external returns (uint256 amount);

    /// @notice Accounts for `amount` USDC that the distributor has just moved from `from` into this coin,
    /// exactly as depositRevenue does. Only the distributor.
    function accrueRevenue(address from, uint256 amount) external;

    /// @notice Credits `amount` USDC of a DEX trade's holder fee to the holders, exactly as a deposit would
    /// (same carry while less than MIN_ELIGIBLE_SUPPLY is eligible; emits RevenueDeposited naming the DEX),
    /// but moves no USDC: it stays in the DEX as this coin's `holderFees` until released to the coin
    /// (IMusicDEXHolderFees.releaseHolderFees), which claims do on demand. Called in every trade, before the
    /// buyer's coins arrive and after the seller's have left. Only the DEX.
    function accrueMarketFees(uint256 amount) external;

    /// @notice Settles `holder`, zeroes what it is owed and pays it in USDC; pays and emits nothing when
    /// nothing is owed (so a multi-coin claim does not fail on one empty coin). Only the distributor.
    /// @return amount USDC (6 decimals) paid to `holder`.
    function claimRevenueFor(address holder) external returns (uint256 amount);

    /// @notice Excludes `account` from (or includes it back in) future revenue; what it earned so far stays
    /// claimable. Only the distributor. The DEX and the coin itself cannot be changed. No-op if unchanged.
    function setRevenueExcluded(address account, bool excluded) external;

    /// @notice Pays the creator everything vested and not yet released. Anyone may call.
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

    /// @notice USDC (6 decimals) `holder` may claim now.
    function claimableRevenue(address holder) external view returns (uint256);

    /// @notice Revenue accumulator: USDC units per coin unit, scaled by 1e27, summed over all deposits.
    function revenuePerToken() external view returns (uint256);

    /// @notice Supply held by accounts that earn revenue.
    function eligibleSupply() external view returns (uint256);

    /// @notice Revenue received but not yet spread over holders (carried to the next deposit).
    function undistributedRevenue() external view returns (uint256);

    /// @notice Whether `account` is excluded from revenue.
    function isRevenueExcluded(address account) external view returns (bool);
}
