// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICreatorPlays
/// @notice The part of MusicNFT that the factory reads to gate coin launches.
interface ICreatorPlays {
    /// @notice Committed plays of every track `creator` minted.
    function creatorPlays(address creator) external view returns (uint256);
}
