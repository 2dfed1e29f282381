// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {MusicNFT} from "../contracts/MusicNFT.sol";
import {IMusicNFT} from "../contracts/interfaces/IMusicNFT.sol";
import {Batches} from "./helpers/nft/Batches.sol";

/// @dev Drives MusicNFT as relayer and creators do: random batches (sorted or not), retries of committed ids,
/// batches that skip ahead, new tracks and transfers. Ghost totals mirror what the counts must be.
contract MusicNFTHandler is Test {
    using Batches for Batches.Entry[];

    uint256 internal constant CREATORS = 4;
    uint256 internal constant MAX_TRACKS = 40;
    string internal constant CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

    MusicNFT public immutable NFT;

    mapping(uint256 trackId => uint256) public ghostTrackPlays;
    mapping(address creator => uint256) public ghostCreatorPlays;
    mapping(uint256 trackId => uint256) public lastSeenTrackPlays;
    uint256 public ghostTotalPlays;
    uint256 public ghostCommits;
    /// @dev Out-of-order commits that did not revert with the right error, and counts seen to fall.
    uint256 public violations;

    constructor(MusicNFT nft) {
        NFT = nft;
        for (uint256 c; c < CREATORS; ++c) _mint(c);
    }

    function creator(uint256 i) public pure returns (address) {
        return address(uint160(0xC0000 + i));
    }

    function commit(uint256 seed, uint256 count, bool sorted) external {
        Batches.Entry[] memory entries = Batches.random(seed, bound(count, 1, 25), NFT.totalTracks(), 1_000_000);
        if (sorted) entries.sortByCreator(NFT);
        uint256 batchId = NFT.nextBatchId();
        NFT.commitPlays(batchId, keccak256(abi.encode("root", batchId)), CID, entries.pack());
        for (uint256 i; i < entries.length; ++i) {
            ghostTrackPlays[entries[i].trackId] += entries[i].delta;
            ghostCreatorPlays[NFT.creatorOf(entries[i].trackId)] += entries[i].delta;
            ghostTotalPlays += entries[i].delta;
        }
        ++ghostCommits;
        _checkNeverFell();
    }

    /// @dev Re-sends an id that was already committed, as a relayer retrying a mined transaction would.
    function retryCommitted(uint256 seed) external {
        uint256 next = NFT.nextBatchId();
        if (next == 1) return;
        uint256 batchId = bound(seed, 0, next - 1);
        bytes memory expected = abi.encodeWithSelector(IMusicNFT.MusicNFTBatchAlreadyCommitted.selector, batchId);
        _expectCommitToFail(batchId, expected);
    }

    function skipAhead(uint256 seed) external {
        uint256 next = NFT.nextBatchId();
        uint256 batchId = bound(seed, next + 1, next + 1_000_000);
        bytes memory expected = abi.encodeWithSelector(IMusicNFT.MusicNFTBatchOutOfOrder.selector, batchId, next);
        _expectCommitToFail(batchId, expected);
    }

    function mintTrack(uint256 creatorSeed) external {
        if (NFT.totalTracks() >= MAX_TRACKS) return;
        _mint(bound(creatorSeed, 0, CREATORS - 1));
    }

    /// @dev Ownership moves; the creator (and so the creator totals) must not.
    function transfer(uint256 trackSeed, uint256 toSeed) external {
        uint256 trackId = bound(trackSeed, 1, NFT.totalTracks());
        address owner = NFT.ownerOf(trackId);
        vm.prank(owner);
        NFT.transferFrom(owner, address(uint160(0xD0000 + bound(toSeed, 0, 7))), trackId);
    }

    function _mint(uint256 creatorIndex) private {
        vm.prank(creator(creatorIndex));
        NFT.mintTrack("ipfs://track", creator(creatorIndex), 250);
    }

    function _expectCommitToFail(uint256 batchId, bytes memory expected) private {
        bytes memory packed = abi.encodePacked(uint64(1), uint32(1));
        try NFT.commitPlays(batchId, keccak256("retry"), CID, packed) {
            ++violations;
        } catch (bytes memory reason) {
            if (keccak256(reason) != keccak256(expected)) ++violations;
        }
        _checkNeverFell();
    }

    function _checkNeverFell() private {
        for (uint256 t = 1; t <= NFT.totalTracks(); ++t) {
            uint256 plays = NFT.playCount(t);
            if (plays < lastSeenTrackPlays[t]) ++violations;
            lastSeenTrackPlays[t] = plays;
        }
    }
}

/// @dev Each invariant gets its own campaign (64 runs x 64 calls): the handler does real batches and a monotonicity
/// sweep per call, so the global 256 x 500 would take many minutes per invariant.
contract MusicNFTInvariantTest is Test {
    MusicNFT internal nft;
    MusicNFTHandler internal handler;

    function setUp() public {
        nft = new MusicNFT(address(this));
        handler = new MusicNFTHandler(nft);
        nft.grantRole(nft.RELAYER_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_TrackCountsEqualGhostSums() public view {
        for (uint256 t = 1; t <= nft.totalTracks(); ++t) {
            assertEq(nft.playCount(t), handler.ghostTrackPlays(t), "track plays");
        }
    }

    /// @dev Also checks the creator flag that shares the creator's slot: minters stay creators, and the holders
    /// tracks were transferred to never become one.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_CreatorCountsEqualGhostSums() public view {
        uint256 sum;
        for (uint256 c; c < 4; ++c) {
            address creator = handler.creator(c);
            assertEq(nft.creatorPlays(creator), handler.ghostCreatorPlays(creator), "creator plays");
            assertTrue(nft.isCreator(creator), "a minter is a creator");
            sum += nft.creatorPlays(creator);
        }
        assertEq(sum, nft.totalPlays(), "creators add up to the total");
        for (uint256 h; h < 8; ++h) assertTrue(!nft.isCreator(address(uint160(0xD0000 + h))), "a holder is a creator");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_TotalPlaysEqualsGhost() public view {
        assertEq(nft.totalPlays(), handler.ghostTotalPlays(), "total plays");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_NextBatchIdIsOnePlusCommits() public view {
        uint256 next = nft.nextBatchId();
        assertEq(next, 1 + handler.ghostCommits(), "next batch id");
        assertEq(nft.batchRoot(next), bytes32(0), "no root past the last commit");
        if (next > 1) assertTrue(nft.batchRoot(next - 1) != bytes32(0), "last commit has a root");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_CountsNeverFallAndBadIdsAlwaysRevert() public view {
        assertEq(handler.violations(), 0, "violations");
    }
}
