// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MusicNFT} from "../../../contracts/MusicNFT.sol";
import {PlayDeltas} from "../../../contracts/libraries/PlayDeltas.sol";

/// @dev Builds batches of play deltas for the Solidity suites.
library Batches {
    struct Entry {
        uint64 trackId;
        uint32 delta;
    }

    /// @dev `count` entries on random tracks in [1, trackCount] with random deltas in [1, maxDelta].
    function random(uint256 seed, uint256 count, uint256 trackCount, uint256 maxDelta)
        internal
        pure
        returns (Entry[] memory entries)
    {
        entries = new Entry[](count);
        for (uint256 i; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            entries[i] = Entry(uint64(1 + (r % trackCount)), uint32(1 + ((r >> 128) % maxDelta)));
        }
    }

    /// @dev Stable insertion sort by creator, as a relayer would order a batch.
    function sortByCreator(Entry[] memory entries, MusicNFT nft) internal view {
        for (uint256 i = 1; i < entries.length; ++i) {
            Entry memory e = entries[i];
            address c = nft.creatorOf(e.trackId);
            uint256 j = i;
            while (j > 0 && uint160(nft.creatorOf(entries[j - 1].trackId)) > uint160(c)) {
                entries[j] = entries[j - 1];
                --j;
            }
            entries[j] = e;
        }
    }

    function pack(Entry[] memory entries) internal pure returns (bytes memory packed) {
        for (uint256 i; i < entries.length; ++i) {
            packed = bytes.concat(packed, abi.encodePacked(entries[i].trackId, entries[i].delta));
        }
    }
}

/// @dev Exposes PlayDeltas' internal functions.
contract PlayDeltasHarness {
    function count(uint256 length) external pure returns (uint256) {
        return PlayDeltas.count(length);
    }

    function isValidLength(uint256 length) external pure returns (bool) {
        return PlayDeltas.isValidLength(length);
    }
}
