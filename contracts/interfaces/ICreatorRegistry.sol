// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICreatorRegistry
/// @notice Who counts as a creator: an address that has minted at least one track on MusicNFT. The vault pays
/// streaming vouchers only to creators, so a listener cannot name an address of its own as the payee.
interface ICreatorRegistry {
    /// @notice Whether `account` has minted at least one track.
    function isCreator(address account) external view returns (bool);
}
