// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMusicDEXMarketOpener
/// @notice The part of MusicDEX that the factory calls at launch.
interface IMusicDEXMarketOpener {
    /// @notice Opens the market of `coin`, whose `coinAmount` tokens were just minted to the DEX.
    /// Only MARKET_OPENER_ROLE (the factory). No USDC is seeded: the curve starts on virtual reserves.
    function openMarket(address coin, address creator, uint256 coinAmount) external;
}
