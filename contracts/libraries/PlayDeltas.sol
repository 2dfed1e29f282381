// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title PlayDeltas
/// @notice The packed per-track play deltas of a batch: a run of 12-byte entries, each an 8-byte big-endian track
/// id followed by a 4-byte big-endian play delta. Packing keeps calldata and the batch event at 12 bytes per track
/// instead of 64. MusicNFT decodes entries in its commit loop (assembly, for gas): `trackId = word >> 192`,
/// `delta = (word >> 160) & 0xffffffff` where `word` is the 32 bytes loaded at the entry.
library PlayDeltas {
    /// @dev Bytes per entry: 8 (track id) + 4 (delta).
    uint256 internal constant ENTRY_SIZE = 12;

    /// @notice Whether `length` is a positive whole number of entries.
    function isValidLength(uint256 length) internal pure returns (bool) {
        return length != 0 && length % ENTRY_SIZE == 0;
    }

    /// @notice The number of entries in `length` bytes (whole entries only).
    function count(uint256 length) internal pure returns (uint256) {
        return length / ENTRY_SIZE;
    }
}
