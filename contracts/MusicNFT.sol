// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ICreatorPlays} from "./interfaces/ICreatorPlays.sol";
import {ICreatorRegistry} from "./interfaces/ICreatorRegistry.sol";
import {IMusicNFT} from "./interfaces/IMusicNFT.sol";
import {PlayDeltas} from "./libraries/PlayDeltas.sol";

/// @title MusicNFT
/// @notice Tracks as ERC-721 tokens (ERC-2981 royalties) and their committed play counts.
/// @dev Invariant: counts only grow, and only through `commitPlays`; for every track, `playCount` is the sum of the
/// deltas committed for it; `creatorPlays(c)` is the sum of `playCount` over the tracks `c` minted; `totalPlays` is
/// the sum over all tracks; `nextBatchId` is 1 + the number of commits, and exactly the batches below it have a root;
/// `isCreator(c)` holds exactly when `c` minted a track.
contract MusicNFT is IMusicNFT, ERC721, ERC2981, AccessControl, EIP712 {
    /// @dev One slot per track. The creator is written at mint, so a track's first commit is a cheap
    /// nonzero-to-nonzero write and reads the creator from the same slot as the count.
    struct Track {
        address creator;
        uint96 plays;
    }

    /// @dev One slot per creator. The commit loop adds plays to the whole slot in assembly; they sit in the low bits
    /// and stay below 2^160 (see `_addDeltas`), so the addition never reaches `minted` in the top byte. Minting sets
    /// `minted` in the slot the creator's first commit would write anyway, which makes that write a cheap
    /// nonzero-to-nonzero one instead of costing a slot of its own.
    struct Creator {
        uint248 plays;
        bool minted;
    }

    /// @dev The counters a commit updates, packed so that a commit reads and writes one slot for both.
    struct Head {
        uint64 nextBatchId;
        uint192 totalPlays;
    }

    /// @inheritdoc IMusicNFT
    bytes32 public constant override RELAYER_ROLE = keccak256("RELAYER_ROLE");
    /// @inheritdoc IMusicNFT
    bytes32 public constant override PLAY_TYPEHASH =
        // A constant folded at compile time: the long string never reaches the bytecode.
        // solhint-disable-next-line gas-small-strings
        keccak256("Play(address listener,uint256 trackId,uint64 startedAt,uint32 durationSeconds,bytes32 nonce)");
    /// @inheritdoc IMusicNFT
    uint96 public constant override MAX_ROYALTY_BPS = 1_000;
    /// @dev Why the assembly loop of `_applyDeltas` stopped; the revert itself is raised in Solidity.
    uint256 private constant _FAILED_ZERO_DELTA = 1;
    uint256 private constant _FAILED_UNKNOWN_TRACK = 2;
    uint256 private constant _FAILED_PLAYS_OVERFLOW = 3;

    Head private _head;
    /// @dev Indexed by track id; element 0 is a never-used placeholder so that ids start at 1. An array rather
    /// than a mapping because an element's slot is `keccak256(slot) + trackId`: the commit loop hashes once per
    /// batch instead of once per entry. Elements are only ever pushed, so every slot past the end reads zero.
    Track[] private _tracks;
    mapping(address account => Creator) private _creators;
    /// @dev Only the root is stored (one new slot per batch): the snapshot CID travels in `PlaysCommitted`, because
    /// storing it too (a 59-byte CIDv1 takes three more slots, 22,100 gas each) would break a commit's fixed-cost budget.
    mapping(uint256 batchId => bytes32 root) private _batchRoots;
    mapping(uint256 trackId => string uri) private _trackUris;

    constructor(address admin) ERC721("BeatStream Track", "TRACK") EIP712("MusicNFT", "1") {
        if (admin == address(0)) revert MusicNFTZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _head.nextBatchId = 1;
        _tracks.push(); // the placeholder at index 0
    }

    // ---------------------------------------------------------------- external

    /// @inheritdoc IMusicNFT
    function mintTrack(string calldata uri, address royaltyReceiver, uint96 royaltyBps)
        external
        returns (uint256 trackId)
    {
        if (bytes(uri).length == 0) revert MusicNFTEmptyUri();
        trackId = _tracks.length;
        _tracks.push(Track({creator: msg.sender, plays: 0}));
        // Written once: later mints by the same creator only read the slot.
        if (!_creators[msg.sender].minted) _creators[msg.sender].minted = true;
        _trackUris[trackId] = uri;
        _setRoyalty(trackId, royaltyReceiver, royaltyBps);
        // `_mint`, not `_safeMint`: the caller mints to itself, so there is no stranger to protect.
        _mint(msg.sender, trackId);
        emit TrackMinted(trackId, msg.sender, uri, royaltyReceiver, royaltyBps);
    }

    /// @inheritdoc IMusicNFT
    function setTrackRoyalty(uint256 trackId, address royaltyReceiver, uint96 royaltyBps) external {
        if (ownerOf(trackId) != msg.sender) revert MusicNFTNotTrackOwner(trackId, msg.sender);
        _setRoyalty(trackId, royaltyReceiver, royaltyBps);
        emit TrackRoyaltyUpdated(trackId, royaltyReceiver, royaltyBps);
    }

    /// @inheritdoc IMusicNFT
    function commitPlays(uint256 batchId, bytes32 root, string calldata snapshotCid, bytes calldata deltas)
        external
        onlyRole(RELAYER_ROLE)
    {
        Head memory head = _head;
        if (batchId != head.nextBatchId) {
            if (batchId < head.nextBatchId) revert MusicNFTBatchAlreadyCommitted(batchId);
            revert MusicNFTBatchOutOfOrder(batchId, head.nextBatchId);
        }
        if (root == bytes32(0)) revert MusicNFTZeroRoot(batchId);
        if (bytes(snapshotCid).length == 0) revert MusicNFTEmptySnapshotCid(batchId);
        if (!PlayDeltas.isValidLength(deltas.length)) revert MusicNFTInvalidDeltasLength(deltas.length);

        uint256 plays = _applyDeltas(deltas);
        _batchRoots[batchId] = root;
        ++head.nextBatchId;
        // Safe cast: a batch adds fewer than 2^64 entries of under 2^32 plays each, so `plays` < 2^96.
        head.totalPlays += uint192(plays);
        _head = head;
        emit PlaysCommitted(batchId, root, snapshotCid, plays, PlayDeltas.count(deltas.length), deltas);
    }

    /// @inheritdoc ICreatorPlays
    function creatorPlays(address creator) external view returns (uint256) {
        return _creators[creator].plays;
    }

    /// @inheritdoc ICreatorRegistry
    function isCreator(address account) external view returns (bool) {
        return _creators[account].minted;
    }

    /// @inheritdoc IMusicNFT
    function playCount(uint256 trackId) external view returns (uint256) {
        return _track(trackId).plays;
    }

    /// @inheritdoc IMusicNFT
    function creatorOf(uint256 trackId) external view returns (address) {
        return _track(trackId).creator;
    }

    /// @inheritdoc IMusicNFT
    function nextBatchId() external view returns (uint256) {
        return _head.nextBatchId;
    }

    /// @inheritdoc IMusicNFT
    function batchRoot(uint256 batchId) external view returns (bytes32) {
        return _batchRoots[batchId];
    }

    /// @inheritdoc IMusicNFT
    function totalPlays() external view returns (uint256) {
        return _head.totalPlays;
    }

    /// @inheritdoc IMusicNFT
    function totalTracks() external view returns (uint256) {
        // Safe: the placeholder makes the length at least 1.
        unchecked {
            return _tracks.length - 1;
        }
    }

    /// @inheritdoc IMusicNFT
    function verifyPlay(uint256 batchId, Play calldata play, bytes32 signatureHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _batchRoots[batchId];
        // The leaf is hashed here, never taken from the caller: a caller's hash could be the root (empty proof) or
        // an inner node (the rest of its path), and both "prove" themselves. A zero root means "not committed".
        return root != bytes32(0)
            && MerkleProof.verifyCalldata(
                proof,
                root,
                _playLeaf(play.listener, play.trackId, play.startedAt, play.durationSeconds, play.nonce, signatureHash)
            );
    }

    /// @inheritdoc IMusicNFT
    function playLeaf(
        address listener,
        uint256 trackId,
        uint64 startedAt,
        uint32 durationSeconds,
        bytes32 nonce,
        bytes32 signatureHash
    ) external pure returns (bytes32) {
        return _playLeaf(listener, trackId, startedAt, durationSeconds, nonce, signatureHash);
    }

    /// @inheritdoc IMusicNFT
    function recoverPlaySigner(Play calldata play, bytes calldata signature) external view returns (address) {
        return ECDSA.recover(hashPlay(play), signature);
    }

    // ---------------------------------------------------------------- public

    /// @inheritdoc IMusicNFT
    function hashPlay(Play calldata play) public view returns (bytes32 digest) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    PLAY_TYPEHASH, play.listener, play.trackId, play.startedAt, play.durationSeconds, play.nonce
                )
            )
        );
    }

    /// @notice The metadata URI given at mint.
    function tokenURI(uint256 trackId) public view override returns (string memory) {
        _requireOwned(trackId);
        return _trackUris[trackId];
    }

    /// @notice ERC-165: ERC-721 (and metadata), ERC-2981, AccessControl.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, ERC2981, AccessControl)
        returns (bool)
    {
        return super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- private

    /// @dev StandardMerkleTree hashes a leaf twice: the outer hash takes 32 bytes where an inner node's takes 64 (its
    /// sorted children), so a leaf hash can never equal an inner node.
    function _playLeaf(
        address listener,
        uint256 trackId,
        uint64 startedAt,
        uint32 durationSeconds,
        bytes32 nonce,
        bytes32 signatureHash
    ) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(keccak256(abi.encode(listener, trackId, startedAt, durationSeconds, nonce, signatureHash)))
        );
    }

    /// @dev The track, or an all-zero one for an id that was never minted.
    function _track(uint256 trackId) private view returns (Track memory) {
        return trackId < _tracks.length ? _tracks[trackId] : Track(address(0), 0);
    }

    function _setRoyalty(uint256 trackId, address royaltyReceiver, uint96 royaltyBps) private {
        if (royaltyBps > MAX_ROYALTY_BPS) revert MusicNFTRoyaltyTooHigh(royaltyBps, MAX_ROYALTY_BPS);
        // Reverts with ERC2981InvalidTokenRoyaltyReceiver on a zero receiver.
        _setTokenRoyalty(trackId, royaltyReceiver, royaltyBps);
    }

    /// @dev Adds every delta to its track and its creator; returns the batch's total plays, or reverts naming the
    /// first bad entry (no state change survives a revert, so entries applied before it do not count).
    function _applyDeltas(bytes calldata deltas) private returns (uint256 plays) {
        uint256 failure;
        uint256 failedTrackId;
        (plays, failure, failedTrackId) = _addDeltas(deltas);
        if (failure == _FAILED_ZERO_DELTA) revert MusicNFTZeroDelta(failedTrackId);
        if (failure == _FAILED_UNKNOWN_TRACK) revert MusicNFTUnknownTrack(failedTrackId);
        if (failure == _FAILED_PLAYS_OVERFLOW) revert MusicNFTTrackPlaysOverflow(failedTrackId);
    }

    /// @dev The loop behind `_applyDeltas`; stops at the first bad entry with a `_FAILED_*` code. Creator totals are
    /// summed over a run of entries with the same creator and written once per run, so a relayer that sorts
    /// entries by creator pays one creator write per creator; unsorted input is counted the same, at more gas.
    /// Assembly because it runs once per track under a ~6,000-gas budget of which the track slot's SLOAD + SSTORE
    /// take 5,000: per entry it does one calldataload, one SLOAD and one SSTORE, and no hashing.
    function _addDeltas(bytes calldata deltas)
        private
        returns (uint256 plays, uint256 failure, uint256 failedTrackId)
    {
        assembly ("memory-safe") {
            // Adds `amount` to creator `c`'s total, the low bits of its `Creator` slot. Unchecked: a creator's total
            // is at most the sum of its tracks' uint96 counts, fewer than 2^64 of them, so it stays below 2^160
            // and never carries into `minted`.
            function addCreatorPlays(c, amount, mappingSlot) {
                mstore(0x00, c)
                mstore(0x20, mappingSlot)
                let s := keccak256(0x00, 0x40)
                sstore(s, add(sload(s), amount))
            }

            mstore(0x00, _tracks.slot)
            let firstTrackSlot := keccak256(0x00, 0x20)
            let runCreator := 0
            let runPlays := 0
            // Callers checked that the length is a positive multiple of 12, so every entry lies inside `deltas`.
            let end := add(deltas.offset, deltas.length)
            for { let p := deltas.offset } lt(p, end) { p := add(p, 12) } { // 12 = PlayDeltas.ENTRY_SIZE
                // Entry = 8-byte trackId, 4-byte delta, big-endian; the 20 bytes read after them are shifted out.
                let word := calldataload(p)
                failedTrackId := shr(192, word)
                let delta := shr(224, shl(64, word))
                if iszero(delta) { failure := _FAILED_ZERO_DELTA break }
                // No overflow: trackId < 2^64. Ids past the array's end read zero, so they fail as unknown.
                let slot := add(firstTrackSlot, failedTrackId)
                let packed := sload(slot)
                // Slot layout of `Track`: creator in the low 160 bits, plays in the top 96.
                let creator := and(packed, 0xffffffffffffffffffffffffffffffffffffffff)
                if iszero(creator) { failure := _FAILED_UNKNOWN_TRACK break }
                // Adding `delta << 160` adds to `plays`; it overflows uint96 exactly when the 256-bit sum wraps.
                let updated := add(packed, shl(160, delta))
                if lt(updated, packed) { failure := _FAILED_PLAYS_OVERFLOW break }
                sstore(slot, updated)
                if iszero(eq(creator, runCreator)) {
                    if runCreator { addCreatorPlays(runCreator, runPlays, _creators.slot) }
                    runCreator := creator
                    runPlays := 0
                }
                // Unchecked: fewer than 2^64 entries of under 2^32 plays each, so neither sum reaches 2^96.
                runPlays := add(runPlays, delta)
                plays := add(plays, delta)
            }
            if iszero(failure) { addCreatorPlays(runCreator, runPlays, _creators.slot) }
        }
    }
}
