// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Amounts, flags and parameters are event data, not filters: the indexer filters on the indexed addresses
// (STYLE 3), and these signatures are the ones it decodes. Indexing them would also cost more gas.
/* solhint-disable gas-indexed-events */

/// @title IRevenueDistributor
/// @notice The registry of creator coins and the router of their revenue: deposits for any coin (the
/// DEX's holder-fee share among them) and claims across many coins in one call. Revenue is paid to a
/// coin's holders pro rata to their balance at each deposit. Each CreatorCoin is both the accounting
/// (an accumulator per coin, updated on transfer, packed beside each balance) and the custody (it holds
/// its own holders' USDC, segregated per coin); this contract holds no USDC. Deposits and claims may
/// also be made on a coin directly, which is cheaper.
/// @dev Periodic ("quarterly") distributions are ordinary deposits made on a schedule by the creator or
/// the platform; there is no separate mechanism. A deposit made while a coin has less than one whole coin
/// held by eligible holders is carried by the coin and paid out with its next deposit. The coins emit the
/// revenue events (RevenueDeposited, RevenueClaimed in ICreatorCoin), whichever way they were reached.
interface IRevenueDistributor {
    /// @notice `coin` was not registered by the factory.
    error RevenueDistributorUnknownCoin(address coin);
    /// @notice `coin` is already registered.
    error RevenueDistributorAlreadyRegistered(address coin);
    /// @notice A deposit of zero for `coin`.
    error RevenueDistributorZeroAmount(address coin);
    /// @notice A constructor argument was the zero address.
    error RevenueDistributorZeroAddress();

    /// @notice `coin` was registered and may now receive deposits.
    event CoinRegistered(address indexed coin);
    /// @notice `account` was excluded from (or included back in) the revenue of `coin`.
    event RevenueExclusionSet(address indexed coin, address indexed account, bool excluded);

    /// @notice Records `coin` as a coin launched by the factory; only REGISTRAR_ROLE (the factory).
    function registerCoin(address coin) external;

    /// @notice Moves `amount` USDC from the caller (who approved this contract) straight into `coin` as
    /// revenue for its holders; the coin emits RevenueDeposited naming the caller. `coin` must be registered,
    /// `amount` non-zero.
    function deposit(address coin, uint256 amount) external;

    /// @notice Claims the caller's revenue of every coin in `coins`; each coin pays the caller what it owes
    /// and emits RevenueClaimed (coins owing nothing are skipped silently). O(1) per coin.
    /// @return total USDC paid to the caller.
    function claim(address[] calldata coins) external returns (uint256 total);

    /// @notice Excludes `account` from (or includes it back in) the future revenue of `coin`, e.g. a
    /// pool or contract that cannot claim. What it earned so far stays claimable. Only DEFAULT_ADMIN_ROLE.
    function setExcluded(address coin, address account, bool excluded) external;

    /// @notice The quote token (USDC) in which revenue is deposited and paid.
    function usdc() external view returns (address);

    /// @notice Whether `coin` is registered.
    function isCoin(address coin) external view returns (bool);

    /// @notice USDC `holder` may claim from `coin` now.
    function claimable(address coin, address holder) external view returns (uint256);
}
