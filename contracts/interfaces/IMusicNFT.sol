// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreatorPlays} from "./ICreatorPlays.sol";
import {ICreatorRegistry} from "./ICreatorRegistry.sol";

/// @title IMusicNFT
/// @notice Tracks as ERC-721 tokens with ERC-2981 royalties, and the on-chain play counts that the
/// relayer commits in sequential batches, each anchored by the Merkle root of its signed plays. Whoever minted a
/// track is a creator (`isCreator`) for ever.
interface IMusicNFT is ICreatorPlays, ICreatorRegistry {
    /// @notice A listener's signed play (EIP-712, verifying contract: MusicNFT).
    /// @dev Field order is the EIP-712 type's, so it cannot be rearranged for packing (it is calldata anyway).
    // solhint-disable-next-line gas-struct-packing
    struct Play {
        address listener;
        uint256 trackId;
        uint64 startedAt;
        uint32 durationSeconds;
        bytes32 nonce;
    }

    /// @notice The admin given to the constructor is the zero address.
    error MusicNFTZeroAdmin();
    /// @notice `mintTrack` got an empty metadata URI.
    error MusicNFTEmptyUri();
    /// @notice A royalty above `MAX_ROYALTY_BPS`.
    error MusicNFTRoyaltyTooHigh(uint96 royaltyBps, uint96 maxRoyaltyBps);
    /// @notice `caller` does not own `trackId`.
    error MusicNFTNotTrackOwner(uint256 trackId, address caller);
    /// @notice `batchId` is below `nextBatchId()`: it was committed already (a retried transaction).
    error MusicNFTBatchAlreadyCommitted(uint256 batchId);
    /// @notice `batchId` is above `expected`, the next batch id: batches are committed in order.
    error MusicNFTBatchOutOfOrder(uint256 batchId, uint256 expected);
    /// @notice Batch `batchId` came with a zero Merkle root.
    error MusicNFTZeroRoot(uint256 batchId);
    /// @notice Batch `batchId` came with an empty snapshot CID.
    error MusicNFTEmptySnapshotCid(uint256 batchId);
    /// @notice The packed deltas are empty or not a whole number of 12-byte entries.
    error MusicNFTInvalidDeltasLength(uint256 length);
    /// @notice A delta names a track that was never minted.
    error MusicNFTUnknownTrack(uint256 trackId);
    /// @notice A delta of zero plays for `trackId`.
    error MusicNFTZeroDelta(uint256 trackId);
    /// @notice The play count of `trackId` would exceed its 96-bit slot.
    error MusicNFTTrackPlaysOverflow(uint256 trackId);

    /// @notice `creator` minted `trackId` with metadata `uri` and its initial royalty.
    /// @dev Indexed on what the indexer filters by (track, creator); the rest is data.
    // solhint-disable-next-line gas-indexed-events
    event TrackMinted(
        uint256 indexed trackId, address indexed creator, string uri, address royaltyReceiver, uint96 royaltyBps
    );
    /// @notice The owner of `trackId` changed its royalty.
    // solhint-disable-next-line gas-indexed-events
    event TrackRoyaltyUpdated(uint256 indexed trackId, address indexed royaltyReceiver, uint96 royaltyBps);
    /// @notice Batch `batchId` was committed: `plays` plays over `tracks` delta entries, evidence at
    /// `snapshotCid` under Merkle root `root`; `deltas` are the packed entries exactly as committed.
    /// @dev Only the batch id is indexed: every extra topic costs gas on each commit, and the totals are data.
    // solhint-disable-next-line gas-indexed-events
    event PlaysCommitted(
        uint256 indexed batchId, bytes32 root, string snapshotCid, uint256 plays, uint256 tracks, bytes deltas
    );

    /// @notice Mints the next track (ids start at 1) to the caller, who stays its creator for ever; from then on
    /// `isCreator(caller)` is true, whoever holds the token.
    /// @param uri The metadata URI, e.g. `ipfs://bafy…`; must not be empty.
    /// @param royaltyReceiver Who receives ERC-2981 royalties; must not be zero.
    /// @param royaltyBps Royalty in basis points, at most `MAX_ROYALTY_BPS`.
    /// @return trackId The new token id.
    function mintTrack(string calldata uri, address royaltyReceiver, uint96 royaltyBps)
        external
        returns (uint256 trackId);

    /// @notice Sets the ERC-2981 royalty of `trackId`. Only the track's current owner.
    /// @param trackId The track.
    /// @param royaltyReceiver Who receives royalties; must not be zero.
    /// @param royaltyBps Royalty in basis points, at most `MAX_ROYALTY_BPS`.
    function setTrackRoyalty(uint256 trackId, address royaltyReceiver, uint96 royaltyBps) external;

    /// @notice Commits batch `batchId` of plays. Only RELAYER_ROLE.
    /// @dev `batchId` must equal `nextBatchId()`, so a retried transaction reverts instead of counting twice.
    /// @param batchId The batch id, `nextBatchId()`.
    /// @param root Merkle root (StandardMerkleTree) of the batch's signed plays; not zero.
    /// @param snapshotCid CID of the batch snapshot; not empty. Only emitted, never stored.
    /// @param deltas Packed 12-byte entries: 8-byte big-endian trackId, 4-byte big-endian play delta (> 0).
    /// Sorting entries by creator makes the commit cheaper (one creator write per creator run); any order counts
    /// the same, and a track may appear more than once.
    function commitPlays(uint256 batchId, bytes32 root, string calldata snapshotCid, bytes calldata deltas) external;

    /// @notice Role allowed to commit plays.
    function RELAYER_ROLE() external view returns (bytes32);

    /// @notice EIP-712 type hash of `Play`.
    function PLAY_TYPEHASH() external view returns (bytes32);

    /// @notice The highest royalty a track may carry, in basis points (10 %).
    function MAX_ROYALTY_BPS() external view returns (uint96);

    /// @notice Committed plays of `trackId` (0 for an unknown track).
    function playCount(uint256 trackId) external view returns (uint256);

    /// @notice The account that minted `trackId` (zero for an unknown track).
    function creatorOf(uint256 trackId) external view returns (address);

    /// @notice The id the next `commitPlays` must carry; starts at 1.
    function nextBatchId() external view returns (uint256);

    /// @notice Merkle root of committed batch `batchId` (zero if not committed).
    function batchRoot(uint256 batchId) external view returns (bytes32);

    /// @notice Plays committed over all tracks.
    function totalPlays() external view returns (uint256);

    /// @notice Number of tracks minted; track ids run from 1 to this.
    function totalTracks() external view returns (uint256);

    /// @notice Whether `play`, signed with a signature hashing to `signatureHash`, is in committed batch `batchId`:
    /// `proof` leads from the play's leaf to the batch root. False for an uncommitted batch.
    /// @dev Takes the leaf's pre-image, not its hash, and hashes it as `playLeaf` does: a caller-supplied hash
    /// could be the root (with an empty proof) or an inner node (with the rest of its path), which would pass.
    /// The relayer's `GET /v1/plays/:id` returns every argument once the play's batch is committed.
    /// @param batchId The batch the play was committed in.
    /// @param play The play's fields exactly as the listener signed them.
    /// @param signatureHash `keccak256` of the listener's signature bytes.
    /// @param proof The StandardMerkleTree proof of the play's leaf, leaf side first.
    function verifyPlay(uint256 batchId, Play calldata play, bytes32 signatureHash, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The StandardMerkleTree leaf hash of a play:
    /// `keccak256(bytes.concat(keccak256(abi.encode(listener, trackId, startedAt, durationSeconds, nonce, signatureHash))))`.
    /// @param signatureHash `keccak256` of the listener's signature bytes.
    function playLeaf(
        address listener,
        uint256 trackId,
        uint64 startedAt,
        uint32 durationSeconds,
        bytes32 nonce,
        bytes32 signatureHash
    ) external pure returns (bytes32);

    /// @notice The full EIP-712 digest of `play` under this contract's domain.
    function hashPlay(Play calldata play) external view returns (bytes32 digest);

    /// @notice The signer of `signature` over `play`; reverts on a malformed signature.
    function recoverPlaySigner(Play calldata play, bytes calldata signature) external view returns (address);
}
