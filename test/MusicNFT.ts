import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { network } from "hardhat";
import MusicNFTModule from "../deploy/modules/MusicNFT.js";
import type { MusicNFT } from "../types/ethers-contracts/index.js";
import { packDeltas, type PlayDelta } from "./helpers/nft/deltas.js";
import {
  PLAY_LEAF_ENCODING,
  PLAY_TYPES,
  musicNFTDomain,
  playLeafValues,
  signPlay,
  type SignedPlay,
} from "./helpers/nft/plays.js";

const { ethers, ignition, networkHelpers } = await network.create();

const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const URI = `ipfs://${CID}`;
const ROOT = ethers.id("root-1");
const RELAYER_ROLE = ethers.id("RELAYER_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const MAX_UINT96 = (1n << 96n) - 1n;

/** `verifyPlay` as it was when it took the leaf hash from the caller (issue 15, finding 4). */
const LEGACY_VERIFY_PLAY = ["function verifyPlay(uint256 batchId, bytes32 leaf, bytes32[] proof) view returns (bool)"];

/** The proof of node `index` of a StandardMerkleTree's node array: each sibling on the way up to the root. */
function pathAbove(nodes: readonly string[], index: number): string[] {
  const path: string[] = [];
  for (let node = index; node > 0; node = Math.floor((node - 1) / 2)) path.push(nodes[node % 2 === 1 ? node + 1 : node - 1]);
  return path;
}

describe("MusicNFT", function () {
  async function deployFixture() {
    const [admin, relayer, creatorA, creatorB, listener1, listener2, stranger] = await ethers.getSigners();
    const { musicNFT } = await ignition.deploy(MusicNFTModule, {
      parameters: { MusicNFT: { admin: admin.address, relayer: relayer.address } },
    });
    const nft = musicNFT as unknown as MusicNFT;
    return { nft, admin, relayer, creatorA, creatorB, listener1, listener2, stranger };
  }

  /** Tracks 1, 2 by creator A and 3 by creator B. */
  async function tracksFixture() {
    const f = await deployFixture();
    await f.nft.connect(f.creatorA).mintTrack(`${URI}/1`, f.creatorA.address, 500);
    await f.nft.connect(f.creatorA).mintTrack(`${URI}/2`, f.creatorA.address, 0);
    await f.nft.connect(f.creatorB).mintTrack(`${URI}/3`, f.creatorB.address, 1_000);
    return f;
  }

  const deltas = (...entries: [number, number][]): string =>
    packDeltas(entries.map(([trackId, delta]): PlayDelta => ({ trackId: BigInt(trackId), delta: BigInt(delta) })));

  describe("deployment", function () {
    it("grants the admin and relayer roles through the Ignition module", async function () {
      const { nft, admin, relayer, stranger } = await networkHelpers.loadFixture(deployFixture);
      expect(await nft.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await nft.hasRole(RELAYER_ROLE, relayer.address)).to.equal(true);
      expect(await nft.hasRole(RELAYER_ROLE, stranger.address)).to.equal(false);
      expect(await nft.RELAYER_ROLE()).to.equal(RELAYER_ROLE);
    });

    it("defaults to account 0 as admin and account 1 as relayer", async function () {
      const [account0, account1] = await ethers.getSigners();
      const { musicNFT } = await ignition.deploy(MusicNFTModule);
      const nft = musicNFT as unknown as MusicNFT;
      expect(await nft.hasRole(DEFAULT_ADMIN_ROLE, account0.address)).to.equal(true);
      expect(await nft.hasRole(RELAYER_ROLE, account1.address)).to.equal(true);
    });

    it("starts empty: batch 1 next, no tracks, no plays", async function () {
      const { nft } = await networkHelpers.loadFixture(deployFixture);
      expect(await nft.nextBatchId()).to.equal(1n);
      expect(await nft.totalTracks()).to.equal(0n);
      expect(await nft.totalPlays()).to.equal(0n);
      expect(await nft.name()).to.equal("BeatStream Track");
      expect(await nft.symbol()).to.equal("TRACK");
      expect(await nft.MAX_ROYALTY_BPS()).to.equal(1_000n);
      expect(await nft.PLAY_TYPEHASH()).to.equal(
        ethers.id("Play(address listener,uint256 trackId,uint64 startedAt,uint32 durationSeconds,bytes32 nonce)"),
      );
    });

    it("rejects a zero admin", async function () {
      const factory = await ethers.getContractFactory("MusicNFT");
      await expect(factory.deploy(ethers.ZeroAddress)).to.be.revertedWithCustomError(factory, "MusicNFTZeroAdmin");
    });

    it("answers EIP-5267 eip712Domain with name MusicNFT, version 1", async function () {
      const { nft } = await networkHelpers.loadFixture(deployFixture);
      const domain = await nft.eip712Domain();
      const { chainId } = await ethers.provider.getNetwork();
      expect(domain.fields).to.equal("0x0f");
      expect(domain.name).to.equal("MusicNFT");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(chainId);
      expect(domain.verifyingContract).to.equal(await nft.getAddress());
    });

    it("supports ERC-165, ERC-721, ERC-721 metadata, ERC-2981 and AccessControl", async function () {
      const { nft } = await networkHelpers.loadFixture(deployFixture);
      for (const id of ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", "0x2a55205a", "0x7965db0b"]) {
        expect(await nft.supportsInterface(id), id).to.equal(true);
      }
      expect(await nft.supportsInterface("0xffffffff")).to.equal(false);
      expect(await nft.supportsInterface("0x12345678")).to.equal(false);
    });
  });

  describe("mintTrack", function () {
    it("mints sequential ids from 1 to the caller, who becomes the creator", async function () {
      const { nft, creatorA, creatorB, listener1 } = await networkHelpers.loadFixture(deployFixture);
      expect(await nft.connect(creatorA).mintTrack.staticCall(URI, listener1.address, 250)).to.equal(1n);
      await expect(nft.connect(creatorA).mintTrack(URI, listener1.address, 250))
        .to.emit(nft, "TrackMinted")
        .withArgs(1n, creatorA.address, URI, listener1.address, 250n)
        .and.to.emit(nft, "Transfer")
        .withArgs(ethers.ZeroAddress, creatorA.address, 1n);
      await expect(nft.connect(creatorB).mintTrack(`${URI}/b`, creatorB.address, 1_000))
        .to.emit(nft, "TrackMinted")
        .withArgs(2n, creatorB.address, `${URI}/b`, creatorB.address, 1_000n);

      expect(await nft.totalTracks()).to.equal(2n);
      expect(await nft.ownerOf(1n)).to.equal(creatorA.address);
      expect(await nft.creatorOf(1n)).to.equal(creatorA.address);
      expect(await nft.creatorOf(2n)).to.equal(creatorB.address);
      expect(await nft.tokenURI(1n)).to.equal(URI);
      expect(await nft.tokenURI(2n)).to.equal(`${URI}/b`);
      expect(await nft.playCount(1n)).to.equal(0n);
      expect(await nft.royaltyInfo(1n, 10_000n)).to.deep.equal([listener1.address, 250n]);
      expect(await nft.royaltyInfo(2n, 1_000_000n)).to.deep.equal([creatorB.address, 100_000n]);
    });

    it("keeps the creator and URI for ever when the track changes hands", async function () {
      const { nft, creatorA, listener1 } = await networkHelpers.loadFixture(tracksFixture);
      await nft.connect(creatorA).transferFrom(creatorA.address, listener1.address, 1n);
      expect(await nft.ownerOf(1n)).to.equal(listener1.address);
      expect(await nft.creatorOf(1n)).to.equal(creatorA.address);
      expect(await nft.tokenURI(1n)).to.equal(`${URI}/1`);
    });

    it("answers zero for a track that was never minted", async function () {
      const { nft } = await networkHelpers.loadFixture(tracksFixture);
      for (const id of [0n, 4n, 2n ** 64n, ethers.MaxUint256]) {
        expect(await nft.creatorOf(id)).to.equal(ethers.ZeroAddress);
        expect(await nft.playCount(id)).to.equal(0n);
      }
      await expect(nft.tokenURI(4n)).to.be.revertedWithCustomError(nft, "ERC721NonexistentToken").withArgs(4n);
    });

    it("rejects an empty URI", async function () {
      const { nft, creatorA } = await networkHelpers.loadFixture(deployFixture);
      await expect(nft.connect(creatorA).mintTrack("", creatorA.address, 0)).to.be.revertedWithCustomError(
        nft,
        "MusicNFTEmptyUri",
      );
    });

    it("rejects a royalty above 10 %", async function () {
      const { nft, creatorA } = await networkHelpers.loadFixture(deployFixture);
      await expect(nft.connect(creatorA).mintTrack(URI, creatorA.address, 1_001))
        .to.be.revertedWithCustomError(nft, "MusicNFTRoyaltyTooHigh")
        .withArgs(1_001n, 1_000n);
    });

    it("rejects a zero royalty receiver", async function () {
      const { nft, creatorA } = await networkHelpers.loadFixture(deployFixture);
      await expect(nft.connect(creatorA).mintTrack(URI, ethers.ZeroAddress, 100))
        .to.be.revertedWithCustomError(nft, "ERC2981InvalidTokenRoyaltyReceiver")
        .withArgs(1n, ethers.ZeroAddress);
    });
  });

  describe("isCreator", function () {
    it("is false for everyone before a mint, true for the minter from its first track on", async function () {
      const { nft, creatorA, creatorB, listener1 } = await networkHelpers.loadFixture(deployFixture);
      for (const account of [creatorA.address, creatorB.address, listener1.address, ethers.ZeroAddress]) {
        expect(await nft.isCreator(account), account).to.equal(false);
      }
      await nft.connect(creatorA).mintTrack(URI, listener1.address, 250);
      expect(await nft.isCreator(creatorA.address)).to.equal(true);
      // The royalty receiver is not a creator, nor is anyone else.
      expect(await nft.isCreator(listener1.address)).to.equal(false);
      expect(await nft.isCreator(creatorB.address)).to.equal(false);
      await nft.connect(creatorA).mintTrack(`${URI}/2`, creatorA.address, 0);
      expect(await nft.isCreator(creatorA.address)).to.equal(true);
    });

    it("is not set by a mint that reverts", async function () {
      const { nft, creatorA } = await networkHelpers.loadFixture(deployFixture);
      await expect(nft.connect(creatorA).mintTrack("", creatorA.address, 0)).to.be.revertedWithCustomError(
        nft,
        "MusicNFTEmptyUri",
      );
      expect(await nft.isCreator(creatorA.address)).to.equal(false);
    });

    it("stays with the minter when its tracks change hands, and does not pass to the new owner", async function () {
      const { nft, creatorA, listener1 } = await networkHelpers.loadFixture(tracksFixture);
      await nft.connect(creatorA).transferFrom(creatorA.address, listener1.address, 1n);
      await nft.connect(creatorA).transferFrom(creatorA.address, listener1.address, 2n);
      expect(await nft.balanceOf(creatorA.address)).to.equal(0n);
      expect(await nft.isCreator(creatorA.address)).to.equal(true);
      expect(await nft.isCreator(listener1.address)).to.equal(false);
    });

    it("shares a slot with the creator's plays without showing in creatorPlays", async function () {
      const { nft, relayer, creatorA, creatorB } = await networkHelpers.loadFixture(tracksFixture);
      expect(await nft.creatorPlays(creatorA.address)).to.equal(0n);
      await nft.connect(relayer).commitPlays(1n, ROOT, CID, deltas([1, 5], [3, 4_294_967_295], [2, 7]));
      expect(await nft.creatorPlays(creatorA.address)).to.equal(12n);
      expect(await nft.creatorPlays(creatorB.address)).to.equal(4_294_967_295n);
      // A later mint by a creator with plays keeps them.
      await nft.connect(creatorB).mintTrack(`${URI}/4`, creatorB.address, 0);
      expect(await nft.creatorPlays(creatorB.address)).to.equal(4_294_967_295n);
      expect(await nft.isCreator(creatorA.address)).to.equal(true);
      expect(await nft.isCreator(creatorB.address)).to.equal(true);
    });
  });

  describe("setTrackRoyalty", function () {
    it("lets the owner change the receiver and rate", async function () {
      const { nft, creatorA, listener2 } = await networkHelpers.loadFixture(tracksFixture);
      await expect(nft.connect(creatorA).setTrackRoyalty(1n, listener2.address, 1_000))
        .to.emit(nft, "TrackRoyaltyUpdated")
        .withArgs(1n, listener2.address, 1_000n);
      expect(await nft.royaltyInfo(1n, 50_000n)).to.deep.equal([listener2.address, 5_000n]);
    });

    it("follows ownership: the new owner may, the creator no longer may", async function () {
      const { nft, creatorA, listener1 } = await networkHelpers.loadFixture(tracksFixture);
      await nft.connect(creatorA).transferFrom(creatorA.address, listener1.address, 2n);
      await expect(nft.connect(creatorA).setTrackRoyalty(2n, creatorA.address, 100))
        .to.be.revertedWithCustomError(nft, "MusicNFTNotTrackOwner")
        .withArgs(2n, creatorA.address);
      await expect(nft.connect(listener1).setTrackRoyalty(2n, listener1.address, 0))
        .to.emit(nft, "TrackRoyaltyUpdated")
        .withArgs(2n, listener1.address, 0n);
      expect(await nft.royaltyInfo(2n, 10_000n)).to.deep.equal([listener1.address, 0n]);
    });

    it("rejects a stranger, a rate above 10 %, a zero receiver and an unknown track", async function () {
      const { nft, creatorA, stranger } = await networkHelpers.loadFixture(tracksFixture);
      await expect(nft.connect(stranger).setTrackRoyalty(1n, stranger.address, 100))
        .to.be.revertedWithCustomError(nft, "MusicNFTNotTrackOwner")
        .withArgs(1n, stranger.address);
      await expect(nft.connect(creatorA).setTrackRoyalty(1n, creatorA.address, 5_000))
        .to.be.revertedWithCustomError(nft, "MusicNFTRoyaltyTooHigh")
        .withArgs(5_000n, 1_000n);
      await expect(nft.connect(creatorA).setTrackRoyalty(1n, ethers.ZeroAddress, 100))
        .to.be.revertedWithCustomError(nft, "ERC2981InvalidTokenRoyaltyReceiver")
        .withArgs(1n, ethers.ZeroAddress);
      await expect(nft.connect(creatorA).setTrackRoyalty(9n, creatorA.address, 100))
        .to.be.revertedWithCustomError(nft, "ERC721NonexistentToken")
        .withArgs(9n);
    });
  });

  describe("commitPlays", function () {
    it("adds deltas to tracks, creators and the total, stores the root and emits one event", async function () {
      const { nft, relayer, creatorA, creatorB } = await networkHelpers.loadFixture(tracksFixture);
      const packed = deltas([1, 100], [2, 25], [3, 7]);
      await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, packed))
        .to.emit(nft, "PlaysCommitted")
        .withArgs(1n, ROOT, CID, 132n, 3n, packed);

      expect(await nft.playCount(1n)).to.equal(100n);
      expect(await nft.playCount(2n)).to.equal(25n);
      expect(await nft.playCount(3n)).to.equal(7n);
      expect(await nft.creatorPlays(creatorA.address)).to.equal(125n);
      expect(await nft.creatorPlays(creatorB.address)).to.equal(7n);
      expect(await nft.totalPlays()).to.equal(132n);
      expect(await nft.nextBatchId()).to.equal(2n);
      expect(await nft.batchRoot(1n)).to.equal(ROOT);
      expect(await nft.batchRoot(2n)).to.equal(ethers.ZeroHash);
    });

    it("counts unsorted input and repeated tracks the same as sorted input", async function () {
      const { nft, relayer, creatorA, creatorB } = await networkHelpers.loadFixture(tracksFixture);
      const packed = deltas([1, 1], [3, 2], [2, 4], [3, 8], [1, 16]);
      await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, packed))
        .to.emit(nft, "PlaysCommitted")
        .withArgs(1n, ROOT, CID, 31n, 5n, packed);
      expect(await nft.playCount(1n)).to.equal(17n);
      expect(await nft.playCount(2n)).to.equal(4n);
      expect(await nft.playCount(3n)).to.equal(10n);
      expect(await nft.creatorPlays(creatorA.address)).to.equal(21n);
      expect(await nft.creatorPlays(creatorB.address)).to.equal(10n);
      expect(await nft.totalPlays()).to.equal(31n);
    });

    it("accumulates over sequential batches, with creator totals following the creator, not the owner", async function () {
      const { nft, relayer, creatorA, creatorB, listener1 } = await networkHelpers.loadFixture(tracksFixture);
      await nft.connect(relayer).commitPlays(1n, ROOT, CID, deltas([1, 10]));
      await nft.connect(creatorA).transferFrom(creatorA.address, listener1.address, 1n);
      const root2 = ethers.id("root-2");
      await expect(nft.connect(relayer).commitPlays(2n, root2, `${CID}2`, deltas([1, 5], [3, 0xffffffff])))
        .to.emit(nft, "PlaysCommitted")
        .withArgs(2n, root2, `${CID}2`, 5n + 0xffffffffn, 2n, deltas([1, 5], [3, 0xffffffff]));
      expect(await nft.playCount(1n)).to.equal(15n);
      expect(await nft.playCount(3n)).to.equal(0xffffffffn);
      expect(await nft.creatorPlays(creatorA.address)).to.equal(15n);
      expect(await nft.creatorPlays(listener1.address)).to.equal(0n);
      expect(await nft.creatorPlays(creatorB.address)).to.equal(0xffffffffn);
      expect(await nft.totalPlays()).to.equal(15n + 0xffffffffn);
      expect(await nft.nextBatchId()).to.equal(3n);
      expect(await nft.batchRoot(1n)).to.equal(ROOT);
      expect(await nft.batchRoot(2n)).to.equal(root2);
    });

    it("never counts a retried batch twice", async function () {
      const { nft, relayer, creatorA } = await networkHelpers.loadFixture(tracksFixture);
      const packed = deltas([1, 10]);
      await nft.connect(relayer).commitPlays(1n, ROOT, CID, packed);
      await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, packed))
        .to.be.revertedWithCustomError(nft, "MusicNFTBatchAlreadyCommitted")
        .withArgs(1n);
      await nft.connect(relayer).commitPlays(2n, ROOT, CID, packed);
      await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, packed))
        .to.be.revertedWithCustomError(nft, "MusicNFTBatchAlreadyCommitted")
        .withArgs(1n);
      await expect(nft.connect(relayer).commitPlays(0n, ROOT, CID, packed))
        .to.be.revertedWithCustomError(nft, "MusicNFTBatchAlreadyCommitted")
        .withArgs(0n);
      expect(await nft.playCount(1n)).to.equal(20n);
      expect(await nft.creatorPlays(creatorA.address)).to.equal(20n);
    });

    it("rejects a batch id above the next one", async function () {
      const { nft, relayer } = await networkHelpers.loadFixture(tracksFixture);
      await expect(nft.connect(relayer).commitPlays(2n, ROOT, CID, deltas([1, 1])))
        .to.be.revertedWithCustomError(nft, "MusicNFTBatchOutOfOrder")
        .withArgs(2n, 1n);
      await expect(nft.connect(relayer).commitPlays(ethers.MaxUint256, ROOT, CID, deltas([1, 1])))
        .to.be.revertedWithCustomError(nft, "MusicNFTBatchOutOfOrder")
        .withArgs(ethers.MaxUint256, 1n);
    });

    it("is for the relayer role only, not even the admin", async function () {
      const { nft, admin, stranger } = await networkHelpers.loadFixture(tracksFixture);
      for (const caller of [stranger, admin]) {
        await expect(nft.connect(caller).commitPlays(1n, ROOT, CID, deltas([1, 1])))
          .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, RELAYER_ROLE);
      }
    });

    it("lets the admin grant and revoke the relayer role", async function () {
      const { nft, admin, relayer, stranger } = await networkHelpers.loadFixture(tracksFixture);
      await expect(nft.connect(stranger).grantRole(RELAYER_ROLE, stranger.address))
        .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      await expect(nft.connect(admin).grantRole(RELAYER_ROLE, stranger.address))
        .to.emit(nft, "RoleGranted")
        .withArgs(RELAYER_ROLE, stranger.address, admin.address);
      await nft.connect(stranger).commitPlays(1n, ROOT, CID, deltas([1, 1]));
      await nft.connect(admin).revokeRole(RELAYER_ROLE, relayer.address);
      await expect(nft.connect(relayer).commitPlays(2n, ROOT, CID, deltas([1, 1])))
        .to.be.revertedWithCustomError(nft, "AccessControlUnauthorizedAccount")
        .withArgs(relayer.address, RELAYER_ROLE);
    });

    it("rejects a zero root and an empty snapshot CID", async function () {
      const { nft, relayer } = await networkHelpers.loadFixture(tracksFixture);
      await expect(nft.connect(relayer).commitPlays(1n, ethers.ZeroHash, CID, deltas([1, 1])))
        .to.be.revertedWithCustomError(nft, "MusicNFTZeroRoot")
        .withArgs(1n);
      await expect(nft.connect(relayer).commitPlays(1n, ROOT, "", deltas([1, 1])))
        .to.be.revertedWithCustomError(nft, "MusicNFTEmptySnapshotCid")
        .withArgs(1n);
    });

    it("rejects deltas that are empty or not whole 12-byte entries", async function () {
      const { nft, relayer } = await networkHelpers.loadFixture(tracksFixture);
      const one = deltas([1, 1]);
      for (const bad of ["0x", ethers.concat([one, "0x00"]), ethers.dataSlice(one, 0, 11), ethers.concat([one, one, "0x0000"])]) {
        await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, bad))
          .to.be.revertedWithCustomError(nft, "MusicNFTInvalidDeltasLength")
          .withArgs(BigInt(ethers.dataLength(bad)));
      }
    });

    it("rejects an unknown track anywhere in the batch, and changes nothing", async function () {
      const { nft, relayer, creatorA } = await networkHelpers.loadFixture(tracksFixture);
      for (const [bad, packed] of [
        [0n, deltas([0, 1])],
        [4n, deltas([1, 5], [4, 1])],
        [2n ** 64n - 1n, deltas([1, 5], [2, 5], [3, 1]).concat(packDeltas([{ trackId: 2n ** 64n - 1n, delta: 1n }]).slice(2))],
      ] as const) {
        await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, packed))
          .to.be.revertedWithCustomError(nft, "MusicNFTUnknownTrack")
          .withArgs(bad);
      }
      expect(await nft.playCount(1n)).to.equal(0n);
      expect(await nft.creatorPlays(creatorA.address)).to.equal(0n);
      expect(await nft.nextBatchId()).to.equal(1n);
    });

    it("rejects a zero delta", async function () {
      const { nft, relayer } = await networkHelpers.loadFixture(tracksFixture);
      await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, deltas([1, 3], [2, 0])))
        .to.be.revertedWithCustomError(nft, "MusicNFTZeroDelta")
        .withArgs(2n);
      // A zero delta is rejected even for a track that does not exist: the delta is checked first.
      await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, deltas([77, 0])))
        .to.be.revertedWithCustomError(nft, "MusicNFTZeroDelta")
        .withArgs(77n);
    });

    it("rejects a delta that would take a track past 2^96 - 1 plays", async function () {
      const { nft, relayer, creatorB } = await networkHelpers.loadFixture(tracksFixture);
      // Put track 3 at the edge by writing its slot: the array `_tracks` holds element i at keccak(slot) + i.
      const address = await nft.getAddress();
      const slot = await findTracksSlot(address, 3n, creatorB.address);
      const nearMax = MAX_UINT96 - 10n;
      await networkHelpers.setStorageAt(address, slot, (nearMax << 160n) | BigInt(creatorB.address));
      expect(await nft.playCount(3n)).to.equal(nearMax);

      await expect(nft.connect(relayer).commitPlays(1n, ROOT, CID, deltas([1, 1], [3, 11])))
        .to.be.revertedWithCustomError(nft, "MusicNFTTrackPlaysOverflow")
        .withArgs(3n);
      await nft.connect(relayer).commitPlays(1n, ROOT, CID, deltas([3, 10]));
      expect(await nft.playCount(3n)).to.equal(MAX_UINT96);
      expect(await nft.creatorOf(3n)).to.equal(creatorB.address);
    });
  });

  /** The storage slot of `_tracks[trackId]`, found by looking for the creator in the low 160 bits. */
  async function findTracksSlot(address: string, trackId: bigint, creator: string): Promise<bigint> {
    for (let s = 0n; s < 32n; s++) {
      const slot = BigInt(ethers.keccak256(ethers.toBeHex(s, 32))) + trackId;
      const word = BigInt(await ethers.provider.getStorage(address, slot));
      if (word !== 0n && (word & ((1n << 160n) - 1n)) === BigInt(creator)) return slot;
    }
    throw new Error("tracks slot not found");
  }

  describe("signed plays and Merkle proofs", function () {
    async function signedBatchFixture() {
      const f = await tracksFixture();
      const { chainId } = await ethers.provider.getNetwork();
      const domain = musicNFTDomain(chainId, await f.nft.getAddress());
      const signed: SignedPlay[] = [];
      let i = 0;
      for (const listener of [f.listener1, f.listener2]) {
        for (const trackId of [1n, 2n, 3n]) {
          i++;
          signed.push(
            await signPlay(listener, domain, {
              listener: listener.address,
              trackId,
              startedAt: 1_700_000_000n + BigInt(i) * 300n,
              durationSeconds: 20n + BigInt(i) * 17n,
              nonce: ethers.id(`nonce-${i}`),
            }),
          );
        }
      }
      const tree = StandardMerkleTree.of(signed.map(playLeafValues), PLAY_LEAF_ENCODING);
      await f.nft.connect(f.relayer).commitPlays(1n, tree.root, CID, deltas([1, 2], [2, 2], [3, 2]));
      return { ...f, domain, signed, tree };
    }

    it("hashPlay is the EIP-712 digest ethers computes, and recovers the listener", async function () {
      const { nft, domain, signed } = await networkHelpers.loadFixture(signedBatchFixture);
      for (const { play, signature } of signed) {
        expect(await nft.hashPlay(play)).to.equal(ethers.TypedDataEncoder.hash(domain, PLAY_TYPES, play));
        expect(await nft.recoverPlaySigner(play, signature)).to.equal(play.listener);
        expect(ethers.verifyTypedData(domain, PLAY_TYPES, play, signature)).to.equal(play.listener);
      }
    });

    it("recovers someone else for a tampered play, and rejects a malformed signature", async function () {
      const { nft, signed } = await networkHelpers.loadFixture(signedBatchFixture);
      const { play, signature } = signed[0];
      expect(await nft.recoverPlaySigner({ ...play, durationSeconds: play.durationSeconds + 1n }, signature)).to.not.equal(
        play.listener,
      );
      await expect(nft.recoverPlaySigner(play, ethers.dataSlice(signature, 0, 64)))
        .to.be.revertedWithCustomError(nft, "ECDSAInvalidSignatureLength")
        .withArgs(64n);
    });

    it("playLeaf equals the StandardMerkleTree leaf hash", async function () {
      const { nft, signed, tree } = await networkHelpers.loadFixture(signedBatchFixture);
      for (const entry of signed) {
        const values = playLeafValues(entry);
        expect(await nft.playLeaf(...values)).to.equal(tree.leafHash(values));
      }
    });

    it("verifyPlay accepts every signed play of the tree with its proof", async function () {
      const { nft, tree, signed } = await networkHelpers.loadFixture(signedBatchFixture);
      expect(await nft.batchRoot(1n)).to.equal(tree.root);
      for (const entry of signed) {
        const proof = tree.getProof(playLeafValues(entry));
        expect(await nft.verifyPlay(1n, entry.play, ethers.keccak256(entry.signature), proof)).to.equal(true);
      }
    });

    it("verifyPlay rejects a tampered play, a tampered proof, another batch and an uncommitted batch", async function () {
      const { nft, relayer, tree, signed } = await networkHelpers.loadFixture(signedBatchFixture);
      const { play, signature } = signed[2];
      const signatureHash = ethers.keccak256(signature);
      const proof = tree.getProof(playLeafValues(signed[2]));

      expect(await nft.verifyPlay(1n, { ...play, durationSeconds: 999n }, signatureHash, proof)).to.equal(false);
      expect(await nft.verifyPlay(1n, play, ethers.keccak256(signed[3].signature), proof)).to.equal(false);
      // The hash of the signature, not its first word.
      expect(await nft.verifyPlay(1n, play, ethers.dataSlice(signature, 0, 32), proof)).to.equal(false);
      const forged = [...proof];
      forged[0] = ethers.toBeHex(BigInt(forged[0]) ^ 1n, 32);
      expect(await nft.verifyPlay(1n, play, signatureHash, forged)).to.equal(false);
      expect(await nft.verifyPlay(1n, play, signatureHash, proof.slice(1))).to.equal(false);

      expect(await nft.verifyPlay(2n, play, signatureHash, proof)).to.equal(false);
      await nft.connect(relayer).commitPlays(2n, ethers.id("other"), CID, deltas([1, 1]));
      expect(await nft.verifyPlay(2n, play, signatureHash, proof)).to.equal(false);
    });

    it("verifyPlay rejects a sibling pair put in the play's free bytes32 fields", async function () {
      const { nft, tree, signed } = await networkHelpers.loadFixture(signedBatchFixture);
      const nodes = tree.dump().tree;
      for (let index = 0; 2 * index + 1 < nodes.length; index++) {
        const [low, high] = [nodes[2 * index + 1], nodes[2 * index + 2]].sort();
        const play = { ...signed[0].play, nonce: low };
        expect(await nft.verifyPlay(1n, play, high, pathAbove(nodes, index))).to.equal(false);
      }
    });

    describe("a leaf hash proves nothing: the entry point that took one from the caller is gone", function () {
      async function legacyFixture() {
        const f = await signedBatchFixture();
        const legacy = new ethers.Contract(await f.nft.getAddress(), LEGACY_VERIFY_PLAY, ethers.provider);
        const nodes = f.tree.dump().tree;
        expect(nodes[0]).to.equal(f.tree.root);
        // Inner nodes, root included: every index with children.
        const inner = nodes.map((_, index) => index).filter((index) => 2 * index + 1 < nodes.length);
        return { ...f, legacy, nodes, inner };
      }

      it("the root with an empty proof", async function () {
        const { legacy, tree } = await networkHelpers.loadFixture(legacyFixture);
        await expect(legacy.verifyPlay(1n, tree.root, [])).to.be.revertedWithoutReason(ethers);
      });

      it("each inner node with the rest of its path", async function () {
        const { legacy, nodes, inner } = await networkHelpers.loadFixture(legacyFixture);
        for (const index of inner.slice(1)) {
          await expect(legacy.verifyPlay(1n, nodes[index], pathAbove(nodes, index))).to.be.revertedWithoutReason(ethers);
        }
      });

      it("the hash of a sibling pair (any 64-byte value) with the path above it", async function () {
        const { legacy, nodes, inner } = await networkHelpers.loadFixture(legacyFixture);
        for (const index of inner) {
          const pairHash = ethers.keccak256(ethers.concat([nodes[2 * index + 1], nodes[2 * index + 2]].sort()));
          await expect(legacy.verifyPlay(1n, pairHash, pathAbove(nodes, index))).to.be.revertedWithoutReason(ethers);
        }
      });
    });
  });
});
