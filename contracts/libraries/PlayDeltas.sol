// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title PlayDeltas
/// @notice Decodes the packed per-track play deltas of a batch: a run of 12-byte entries, each an 8-byte
/// big-endian track id followed by a 4-byte big-endian play delta. Packing keeps calldata and the batch
/// event at 12 bytes per track instead of 64.
library PlayDeltas {
    /// @dev Bytes per entry: 8 (track id) + 4 (delta).
    uint256 internal constant ENTRY_SIZE = 12;

    /// @notice Whether `length` is a positive whole number of entries.
    function isValidLength(uint256 length) internal pure returns (bool) {
        return length != 0 && length % ENTRY_SIZE == 0;
    }

    /// @notice The entry at byte offset `offset` of the deltas (a multiple of `ENTRY_SIZE`).
    /// @return trackId The 8-byte track id, widened.
    /// @return delta The 4-byte play delta, widened.
    function at(bytes calldata deltas, uint256 offset) internal pure returns (uint256 trackId, uint256 delta) {
        assembly ("memory-safe") {
            // Safe: callers keep offset + ENTRY_SIZE <= deltas.length, so the 12 bytes used lie inside `deltas`;
            // the 20 bytes after them that calldataload also reads are shifted out (past calldata they read 0).
            let word := calldataload(add(deltas.offset, offset))
            trackId := shr(192, word)
            delta := and(shr(160, word), 0xffffffff)
        }
    }
}
