// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "./utils/Test.sol";
import {MusicNFT} from "../contracts/MusicNFT.sol";
import {IMusicNFT} from "../contracts/interfaces/IMusicNFT.sol";
import {PlayTrees} from "./helpers/nft/PlayTrees.sol";

/// @dev `verifyPlay` against a real StandardMerkleTree of signed plays: every play verifies with its proof, and
/// nothing but a play does — not the root, not an inner node, not the hash of a sibling pair.
contract MusicNFTVerifyTest is Test {
    using PlayTrees for bytes32[];

    uint256 internal constant PLAYS = 7;
    uint256 internal constant TRACKS = 3;
    string internal constant CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

    MusicNFT internal nft;
    IMusicNFT.Play[] internal plays;
    bytes32[] internal signatureHashes;
    bytes32[] internal leafHashes;
    /// @dev The committed tree of batch 1, root first (PlayTrees layout).
    bytes32[] internal nodes;

    function setUp() public {
        nft = new MusicNFT(address(this));
        nft.grantRole(nft.RELAYER_ROLE(), address(this));
        for (uint256 t; t < TRACKS; ++t) {
            vm.prank(address(uint160(0xC0000 + t)));
            nft.mintTrack("ipfs://track", address(0xBEEF), 100);
        }
        for (uint256 i; i < PLAYS; ++i) {
            uint256 key = 0xA11CE + (i % 3);
            IMusicNFT.Play memory play = IMusicNFT.Play({
                listener: vm.addr(key),
                trackId: 1 + (i % TRACKS),
                startedAt: uint64(1_700_000_000 + i * 300),
                durationSeconds: uint32(20 + i * 17),
                nonce: keccak256(abi.encode("nonce", i))
            });
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, nft.hashPlay(play));
            bytes32 signatureHash = keccak256(abi.encodePacked(r, s, v));
            plays.push(play);
            signatureHashes.push(signatureHash);
            leafHashes.push(_leafOf(play, signatureHash));
        }
        nodes = PlayTrees.build(leafHashes);
        // 7 plays over 3 tracks: tracks 1 gets 3, tracks 2 and 3 get 2 each.
        nft.commitPlays(1, nodes[0], CID, abi.encodePacked(uint64(1), uint32(3), uint64(2), uint32(2), uint64(3), uint32(2)));
    }

    function test_EveryPlayVerifiesWithItsProof() public view {
        assertEq(nft.batchRoot(1), nodes[0], "committed root");
        for (uint256 i; i < PLAYS; ++i) {
            assertTrue(nft.verifyPlay(1, plays[i], signatureHashes[i], _proofOfPlay(i)), "a real play fails");
        }
    }

    function test_PlayOfAnotherBatchIsNotAPlay() public {
        bytes32[] memory proof = _proofOfPlay(0);
        assertTrue(!nft.verifyPlay(2, plays[0], signatureHashes[0], proof), "uncommitted batch");
        assertTrue(!nft.verifyPlay(0, plays[0], signatureHashes[0], proof), "batch 0");
        nft.commitPlays(2, keccak256("another root"), CID, abi.encodePacked(uint64(1), uint32(1)));
        assertTrue(!nft.verifyPlay(2, plays[0], signatureHashes[0], proof), "another batch");
    }

    function test_PlayWithAnyFieldChangedIsNotAPlay() public view {
        bytes32[] memory proof = _proofOfPlay(3);
        bytes32 signatureHash = signatureHashes[3];
        IMusicNFT.Play memory play = plays[3];
        play.listener = address(uint160(play.listener) ^ 1);
        assertTrue(!nft.verifyPlay(1, play, signatureHash, proof), "listener");
        play = plays[3];
        ++play.trackId;
        assertTrue(!nft.verifyPlay(1, play, signatureHash, proof), "trackId");
        play = plays[3];
        ++play.startedAt;
        assertTrue(!nft.verifyPlay(1, play, signatureHash, proof), "startedAt");
        play = plays[3];
        ++play.durationSeconds;
        assertTrue(!nft.verifyPlay(1, play, signatureHash, proof), "durationSeconds");
        play = plays[3];
        play.nonce ^= bytes32(uint256(1));
        assertTrue(!nft.verifyPlay(1, play, signatureHash, proof), "nonce");
        assertTrue(!nft.verifyPlay(1, plays[3], signatureHash ^ bytes32(uint256(1)), proof), "signatureHash");
        // Another play's proof, and the right proof cut short or extended.
        assertTrue(!nft.verifyPlay(1, plays[3], signatureHash, _proofOfPlay(4)), "another play's proof");
        bytes32[] memory short = new bytes32[](proof.length - 1);
        for (uint256 i; i < short.length; ++i) short[i] = proof[i];
        assertTrue(!nft.verifyPlay(1, plays[3], signatureHash, short), "proof cut short");
    }

    /// @dev The two bytes32 fields a caller controls freely, filled with a sibling pair (the 64 bytes an inner
    /// node hashes): the leaf is hashed from all 192 bytes, twice, so it is not that node.
    function test_SiblingPairInPlayFieldsIsNotAPlay() public view {
        for (uint256 i; nodes.isInner(i); ++i) {
            (bytes32 low, bytes32 high) = nodes[2 * i + 1] < nodes[2 * i + 2]
                ? (nodes[2 * i + 1], nodes[2 * i + 2])
                : (nodes[2 * i + 2], nodes[2 * i + 1]);
            IMusicNFT.Play memory play = plays[0];
            play.nonce = low;
            assertTrue(!nft.verifyPlay(1, play, high, nodes.proofOf(i)), "pair with the path above the pair");
            assertTrue(!nft.verifyPlay(1, play, high, nodes.proofOf(2 * i + 1)), "pair with a child's path");
        }
    }

    /// @dev Any play that is not one of the batch's, with the proof of any node of the tree, fails.
    function testFuzz_OnlyCommittedPlaysVerify(
        address listener,
        uint256 trackId,
        uint64 startedAt,
        uint32 durationSeconds,
        bytes32 nonce,
        bytes32 signatureHash,
        uint256 node
    ) public view {
        IMusicNFT.Play memory play = IMusicNFT.Play(listener, trackId, startedAt, durationSeconds, nonce);
        bytes32 leaf = _leafOf(play, signatureHash);
        for (uint256 i; i < PLAYS; ++i) vm.assume(leaf != leafHashes[i]);
        node = bound(node, 0, nodes.length - 1);
        assertTrue(!nft.verifyPlay(1, play, signatureHash, nodes.proofOf(node)), "a stranger's play verifies");
    }

    function test_RootWithEmptyProofIsNotAPlay() public view {
        _assertNotAPlay(1, nodes[0], new bytes32[](0), "the root with an empty proof");
    }

    function test_InnerNodeWithRestOfPathIsNotAPlay() public view {
        // Node 0 is the root (its own test); every other inner node with the path above it.
        for (uint256 i = 1; nodes.isInner(i); ++i) {
            _assertNotAPlay(1, nodes[i], nodes.proofOf(i), "an inner node with the rest of its path");
        }
    }

    function test_HashOfSiblingPairIsNotAPlay() public view {
        // The hash of any 64-byte value that is a sorted sibling pair, with the path above the pair's parent.
        for (uint256 i; nodes.isInner(i); ++i) {
            bytes32 pairHash = PlayTrees.hashPair(nodes[2 * i + 1], nodes[2 * i + 2]);
            _assertNotAPlay(1, pairHash, nodes.proofOf(i), "the hash of a sibling pair");
        }
    }

    function _proofOfPlay(uint256 i) private view returns (bytes32[] memory) {
        return nodes.proofOf(nodes.indexOf(leafHashes[i]));
    }

    /// @dev The leaf hash `playLeaf` computes.
    function _leafOf(IMusicNFT.Play memory play, bytes32 signatureHash) private view returns (bytes32) {
        return nft.playLeaf(
            play.listener, play.trackId, play.startedAt, play.durationSeconds, play.nonce, signatureHash
        );
    }

    /// @dev A leaf hash must not prove anything: the entry point that took one is gone (the call reverts, no data).
    function _assertNotAPlay(uint256 batchId, bytes32 leaf, bytes32[] memory proof, string memory what) private view {
        (bool ok, bytes memory result) = _callLegacy(batchId, leaf, proof);
        assertTrue(!(ok && abi.decode(result, (bool))), string.concat(what, " verifies as a play"));
        assertTrue(!ok, string.concat(what, ": verifyPlay(uint256,bytes32,bytes32[]) still answers"));
        assertEq(result.length, 0, "revert data");
    }

    /// @dev `verifyPlay(uint256,bytes32,bytes32[])`, the entry point that took a caller-supplied leaf hash.
    function _callLegacy(uint256 batchId, bytes32 leaf, bytes32[] memory proof)
        private
        view
        returns (bool ok, bytes memory result)
    {
        return address(nft).staticcall(
            abi.encodeWithSignature("verifyPlay(uint256,bytes32,bytes32[])", batchId, leaf, proof)
        );
    }
}
