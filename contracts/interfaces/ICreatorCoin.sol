// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Amounts, flags and parameters are event data, not filters: the indexer filters on the indexed addresses
// (STYLE 3), and these signatures are the ones it decodes. Indexing them would also cost more gas.
/* solhint-disable gas-indexed-events */

/// @title ICreatorCoin
/// @notice A creator's coin: an ERC-20 with EIP-2612 permit (name and symbol per creator, EIP-712 domain
/// name "CreatorCoin", version "1", verifying contract = the coin), deployed by the factory as a clone.
/// Its supply is minted once at launch: the market share to the DEX, the creator's allocation to the coin
/// itself, from where it vests linearly to the creator. The coin also keeps each holder's share of the
/// revenue deposited through the RevenueDistributor, packed beside the holder's balance.
/// @dev The ERC-20 and permit functions are the standard ones (IERC20Metadata, IERC20Permit, IERC5267).
interface ICreatorCoin {
    /// @notice `caller` is not the contract allowed to call this function (the factory or the distributor).
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

    /// @notice `amount` vested coins were paid to `creator`.
    event VestingReleased(address indexed creator, uint256 amount);

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

    /// @notice Spreads `amount` USDC (already received by the distributor) over the eligible supply, adding
    /// any carried revenue; if less than MIN_ELIGIBLE_SUPPLY is eligible, carries it instead. Only the distributor.
    function accrueRevenue(uint256 amount) external;

    /// @notice Settles `holder` and zeroes what it is owed; returns the USDC the distributor must pay it.
    /// Only the distributor.
    /// @return amount USDC (6 decimals) owed to `holder`.
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
