// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMusicDEXHolderFees
/// @notice The part of MusicDEX that a CreatorCoin calls: the custody of its holders' fee share, and the
/// record of creator coins entering circulation. Each trade locks its holder fee as the coin's revenue
/// (ICreatorCoin.syncMarket / accrueMarketFees) while the USDC stays in the DEX; the coin pulls it when a
/// claim needs it.
interface IMusicDEXHolderFees {
    /// @notice `amount` USDC of holder fees of `coin`, already credited to its holders, were sent to the coin
    /// (at the request of `caller`: anyone, or the coin paying a claim).
    // solhint-disable-next-line gas-indexed-events
    event HolderFeesReleased(address indexed coin, address indexed caller, uint256 amount);
    /// @notice `amount` coins of `coin`'s creator allocation entered circulation; `outstanding` coins may now
    /// be sold back to its market.
    // solhint-disable-next-line gas-indexed-events
    event CreatorCoinsReleased(address indexed coin, uint256 amount, uint256 outstanding);

    /// @notice Sends the holder fees of `coin` held by the DEX to the coin, which already owes them to its
    /// holders (no accrual happens here). Anyone may call it; the coin calls it when its own USDC falls short
    /// of a claim. Works while trading is paused. Reverts with MusicDEXNoFeesToClaim when there is none.
    /// @return amount USDC sent to `coin`.
    function releaseHolderFees(address coin) external returns (uint256 amount);

    /// @notice Records that `amount` of the calling coin's creator allocation was released into circulation
    /// (they never came from the curve, so sells are priced to keep every outstanding coin backed). Only a coin
    /// with an open market, from its releaseVested.
    function recordCreatorRelease(uint256 amount) external;
}
