// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Amounts, flags and parameters are event data, not filters: the indexer filters on the indexed addresses
// (STYLE 3), and these signatures are the ones it decodes. Indexing them would also cost more gas.
/* solhint-disable gas-indexed-events */

/// @title IRevenueDistributor
/// @notice Holds the USDC revenue of every creator coin and pays it to the coins' holders pro rata
/// to their balance at each deposit. Per-holder accounting lives in each CreatorCoin (packed beside
/// the balance, so a transfer costs little more than a plain ERC-20 transfer); this contract holds
/// the money, registers coins, and pays claims for many coins in one call.
/// @dev Periodic ("quarterly") distributions are ordinary deposits made on a schedule by the creator or
/// the platform; there is no separate mechanism. A deposit made while a coin has less than one whole coin
/// held by eligible holders is carried by the coin and paid out with its next deposit.
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
    /// @notice `from` deposited `amount` USDC of revenue for the holders of `coin`.
    event RevenueDeposited(address indexed coin, address indexed from, uint256 amount);
    /// @notice `holder` claimed `amount` USDC of `coin`'s revenue.
    event RevenueClaimed(address indexed coin, address indexed holder, uint256 amount);
    /// @notice `account` was excluded from (or included back in) the revenue of `coin`.
    event RevenueExclusionSet(address indexed coin, address indexed account, bool excluded);

    /// @notice Records `coin` as a coin launched by the factory; only REGISTRAR_ROLE (the factory).
    function registerCoin(address coin) external;

    /// @notice Pulls `amount` USDC from the caller as revenue for the holders of `coin`.
    function deposit(address coin, uint256 amount) external;

    /// @notice Claims the caller's revenue of every coin in `coins` and pays the total in one transfer.
    /// O(1) per coin. Emits RevenueClaimed for each coin with a non-zero amount.
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
