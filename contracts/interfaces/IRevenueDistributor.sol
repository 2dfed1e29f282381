// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRevenueDistributor
/// @notice Holds the USDC revenue of every creator coin and pays it to the coins' holders pro rata
/// to their balance at each deposit. Per-holder accounting lives in each CreatorCoin (packed beside
/// the balance, so a transfer costs little more than a plain ERC-20 transfer); this contract holds
/// the money, registers coins, and pays claims for many coins in one call.
interface IRevenueDistributor {
    /// @notice Records `coin` as a coin launched by the factory; only REGISTRAR_ROLE (the factory).
    function registerCoin(address coin) external;

    /// @notice Pulls `amount` USDC from the caller as revenue for the holders of `coin`.
    function deposit(address coin, uint256 amount) external;
}
