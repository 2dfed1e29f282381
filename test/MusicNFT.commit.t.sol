// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {MusicNFT} from "../contracts/MusicNFT.sol";
import {IMusicNFT} from "../contracts/interfaces/IMusicNFT.sol";
import {Batches, PlayDeltasHarness} from "./helpers/nft/Batches.sol";

/// @dev Fuzzes the packed-delta decoding and the counting of `commitPlays`.
contract MusicNFTCommitTest is Test {
    using Batches for Batches.Entry[];

    uint256 internal constant CREATORS = 5;
    uint256 internal constant TRACKS_PER_CREATOR = 4;
    uint256 internal constant TRACKS = CREATORS * TRACKS_PER_CREATOR;
    string internal constant CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

    MusicNFT internal nft;
    PlayDeltasHarness internal harness;

    function setUp() public {
        nft = new MusicNFT(address(this));
        nft.grantRole(nft.RELAYER_ROLE(), address(this));
        harness = new PlayDeltasHarness();
        // Creators mint round-robin, so consecutive track ids belong to different creators: unsorted input
        // really interleaves creators.
        for (uint256 t; t < TRACKS; ++t) {
            vm.prank(creator(t % CREATORS));
            nft.mintTrack("ipfs://track", address(0xBEEF), 100);
        }
    }

    function creator(uint256 i) internal pure returns (address) {
        return address(uint160(0xC0000 + i));
    }

    /// @dev Any (trackId, delta) at any position decodes exactly: counted when valid, else named in the error.
    function testFuzz_DecodesEveryEntry(uint64 trackId, uint32 delta, uint256 position, uint256 seed) public {
        Batches.Entry[] memory entries = Batches.random(seed, 6, TRACKS, 1_000);
        position = bound(position, 0, 5);
        // Half the runs use a real track, so that valid entries are decoded too, not only failures.
        if (seed % 2 == 0) trackId = uint64(1 + (trackId % TRACKS));
        entries[position] = Batches.Entry(trackId, delta);
        if (delta == 0) {
            vm.expectRevert(abi.encodeWithSelector(IMusicNFT.MusicNFTZeroDelta.selector, trackId));
            nft.commitPlays(1, keccak256("root"), CID, entries.pack());
        } else if (trackId == 0 || trackId > TRACKS) {
            vm.expectRevert(abi.encodeWithSelector(IMusicNFT.MusicNFTUnknownTrack.selector, trackId));
            nft.commitPlays(1, keccak256("root"), CID, entries.pack());
        } else {
            _commitAndCheck(entries);
        }
    }

    function testFuzz_ValidLengthIsPositiveMultipleOf12(uint256 length) public view {
        assertTrue(harness.isValidLength(length) == (length != 0 && length % 12 == 0), "length rule");
        assertEq(harness.count(length), length / 12, "count");
    }

    function testFuzz_CommitCountsEveryDelta(uint256 seed, uint256 count, bool sorted) public {
        count = bound(count, 1, 60);
        Batches.Entry[] memory entries = Batches.random(seed, count, TRACKS, type(uint32).max);
        if (sorted) entries.sortByCreator(nft);
        _commitAndCheck(entries);
        // A second batch on top of the first keeps adding.
        _commitAndCheck(Batches.random(seed ^ 1, bound(seed, 1, 30), TRACKS, 1_000));
    }

    function testFuzz_SortedAndUnsortedCountTheSame(uint256 seed, uint256 count) public {
        count = bound(count, 1, 40);
        Batches.Entry[] memory entries = Batches.random(seed, count, TRACKS, type(uint32).max);
        _commitAndCheck(entries);
        uint256[] memory afterUnsorted = _creatorTotals();
        entries.sortByCreator(nft);
        _commitAndCheck(entries);
        uint256[] memory afterSorted = _creatorTotals();
        for (uint256 c; c < CREATORS; ++c) assertEq(afterSorted[c], 2 * afterUnsorted[c], "same counts");
    }

    function testFuzz_RevertWhen_LengthNotWholeEntries(uint256 length) public {
        length = bound(length, 0, 600);
        vm.assume(length == 0 || length % 12 != 0);
        bytes memory packed = new bytes(length);
        vm.expectRevert(abi.encodeWithSelector(IMusicNFT.MusicNFTInvalidDeltasLength.selector, length));
        nft.commitPlays(1, keccak256("root"), CID, packed);
    }

    function testFuzz_RevertWhen_TrackUnknown(uint64 trackId, uint256 position, uint256 seed) public {
        vm.assume(trackId == 0 || trackId > TRACKS);
        Batches.Entry[] memory entries = Batches.random(seed, 5, TRACKS, 100);
        entries[bound(position, 0, 4)].trackId = trackId;
        uint64 firstBad = _firstUnknown(entries);
        vm.expectRevert(abi.encodeWithSelector(IMusicNFT.MusicNFTUnknownTrack.selector, firstBad));
        nft.commitPlays(1, keccak256("root"), CID, entries.pack());
    }

    function testFuzz_RevertWhen_DeltaZero(uint256 position, uint256 seed) public {
        Batches.Entry[] memory entries = Batches.random(seed, 5, TRACKS, 100);
        position = bound(position, 0, 4);
        entries[position].delta = 0;
        vm.expectRevert(abi.encodeWithSelector(IMusicNFT.MusicNFTZeroDelta.selector, entries[position].trackId));
        nft.commitPlays(1, keccak256("root"), CID, entries.pack());
    }

    function testFuzz_RevertWhen_BatchIdNotNext(uint256 batchId) public {
        bytes memory packed = abi.encodePacked(uint64(1), uint32(1));
        nft.commitPlays(1, keccak256("root"), CID, packed);
        batchId = bound(batchId, 0, type(uint128).max);
        vm.assume(batchId != 2);
        if (batchId < 2) {
            vm.expectRevert(abi.encodeWithSelector(IMusicNFT.MusicNFTBatchAlreadyCommitted.selector, batchId));
        } else {
            vm.expectRevert(abi.encodeWithSelector(IMusicNFT.MusicNFTBatchOutOfOrder.selector, batchId, 2));
        }
        nft.commitPlays(batchId, keccak256("root"), CID, packed);
    }

    function _commitAndCheck(Batches.Entry[] memory entries) private {
        uint256[] memory trackBefore = new uint256[](TRACKS + 1);
        uint256[] memory expectedTrack = new uint256[](TRACKS + 1);
        uint256[] memory expectedCreator = _creatorTotals();
        for (uint256 t = 1; t <= TRACKS; ++t) trackBefore[t] = nft.playCount(t);
        uint256 plays;
        for (uint256 i; i < entries.length; ++i) {
            expectedTrack[entries[i].trackId] += entries[i].delta;
            expectedCreator[(entries[i].trackId - 1) % CREATORS] += entries[i].delta;
            plays += entries[i].delta;
        }
        uint256 totalBefore = nft.totalPlays();
        uint256 batchId = nft.nextBatchId();

        nft.commitPlays(batchId, keccak256(abi.encode(batchId)), CID, entries.pack());

        for (uint256 t = 1; t <= TRACKS; ++t) {
            assertEq(nft.playCount(t), trackBefore[t] + expectedTrack[t], "track count");
        }
        for (uint256 c; c < CREATORS; ++c) assertEq(nft.creatorPlays(creator(c)), expectedCreator[c], "creator");
        assertEq(nft.totalPlays(), totalBefore + plays, "total");
        assertEq(nft.nextBatchId(), batchId + 1, "next batch");
    }

    function _creatorTotals() private view returns (uint256[] memory totals) {
        totals = new uint256[](CREATORS);
        for (uint256 c; c < CREATORS; ++c) totals[c] = nft.creatorPlays(creator(c));
    }

    function _firstUnknown(Batches.Entry[] memory entries) private pure returns (uint64) {
        for (uint256 i; i < entries.length; ++i) {
            if (entries[i].trackId == 0 || entries[i].trackId > TRACKS) return entries[i].trackId;
        }
        revert("no unknown track");
    }
}
