import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { network } from "hardhat";
import BeatStreamVaultModule from "../deploy/modules/BeatStreamVault.js";
import {
  packSignatures,
  sessionIdOf,
  sessionKey,
  signVoucher,
  STREAM_VOUCHER_TYPES,
  type StreamVoucher,
  vaultDomain,
} from "./helpers/vault/vouchers.js";
import { signPermit } from "./helpers/permit.js";

const { ethers, networkHelpers, ignition } = await network.create();
const { time, loadFixture } = networkHelpers;

const DELAY = 3_600n;
const PERIOD = 91n * 86_400n;
const USDC = (amount: number) => BigInt(amount) * 1_000_000n;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function deployVault() {
  const [admin, relayer, alice, bob, artist, artist2, stranger] = await ethers.getSigners();
  // MusicNFT's creator check stands behind ICreatorRegistry; here a mock names the two artists.
  const creators = await ethers.deployContract("MockCreatorRegistry");
  for (const creator of [artist, artist2]) await creators.setCreator(creator.address, true);
  const deployed = await ignition.deploy(BeatStreamVaultModule, {
    parameters: {
      BeatStreamVault: { creatorRegistry: await creators.getAddress(), withdrawalDelay: DELAY, admin: admin.address, relayer: relayer.address },
    },
  });
  const vault = await ethers.getContractAt("BeatStreamVault", await deployed.vault.getAddress());
  const usdc = await ethers.getContractAt("MockUSDC", await deployed.usdc.getAddress());
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = await vaultDomain(vault, chainId);
  for (const listener of [alice, bob]) {
    await usdc.mint(listener.address, USDC(1_000));
    await usdc.connect(listener).approve(await vault.getAddress(), ethers.MaxUint256);
  }
  return { vault, usdc, creators, chainId, domain, admin, relayer, alice, bob, artist, artist2, stranger };
}

type Fixture = Awaited<ReturnType<typeof deployVault>>;

async function voucherOf(
  f: Fixture,
  listener: { address: string },
  artist: { address: string },
  session: string,
  cumulativeAmount: bigint,
  deadline?: bigint,
): Promise<StreamVoucher> {
  return {
    listener: listener.address,
    artist: artist.address,
    sessionId: sessionIdOf(session),
    cumulativeAmount,
    deadline: deadline ?? BigInt(await time.latest()) + 3_600n,
  };
}

async function signAll(f: Fixture, signers: Awaited<ReturnType<typeof ethers.getSigners>>, vouchers: StreamVoucher[]) {
  const signatures = await Promise.all(vouchers.map((v, i) => signVoucher(signers[i], f.domain, v)));
  return packSignatures(signatures);
}

describe("BeatStreamVault", function () {
  describe("deployment", function () {
    it("stores the token, the creator registry, the delay, the roles and the EIP-712 domain", async function () {
      const { vault, usdc, creators, admin, relayer, chainId } = await loadFixture(deployVault);
      expect(await vault.USDC()).to.equal(await usdc.getAddress());
      expect(await vault.CREATOR_REGISTRY()).to.equal(await creators.getAddress());
      expect(await vault.WITHDRAWAL_DELAY()).to.equal(DELAY);
      expect(await vault.hasRole(await vault.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await vault.hasRole(await vault.PAUSER_ROLE(), admin.address)).to.equal(true);
      expect(await vault.PAUSER_ROLE()).to.equal(ethers.id("PAUSER_ROLE"));
      expect(await vault.RELAYER_ROLE()).to.equal(ethers.id("RELAYER_ROLE"));
      expect(await vault.hasRole(await vault.RELAYER_ROLE(), relayer.address)).to.equal(true);
      expect(await vault.hasRole(await vault.RELAYER_ROLE(), admin.address)).to.equal(false);
      const domain = await vault.eip712Domain();
      expect(domain.name).to.equal("BeatStreamVault");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(chainId);
      expect(domain.verifyingContract).to.equal(await vault.getAddress());
    });

    it("uses the module's defaults: one day of delay, the first account as admin, the second as relayer", async function () {
      const [first, second] = await ethers.getSigners();
      const { creators } = await loadFixture(deployVault);
      const deployed = await ignition.deploy(BeatStreamVaultModule, {
        parameters: { BeatStreamVault: { creatorRegistry: await creators.getAddress() } },
      });
      const vault = await ethers.getContractAt("BeatStreamVault", await deployed.vault.getAddress());
      expect(await vault.WITHDRAWAL_DELAY()).to.equal(86_400n);
      expect(await vault.hasRole(await vault.DEFAULT_ADMIN_ROLE(), first.address)).to.equal(true);
      expect(await vault.hasRole(await vault.RELAYER_ROLE(), second.address)).to.equal(true);
    });

    it("needs a creator registry: the module has no default for it", async function () {
      await expect(ignition.deploy(BeatStreamVaultModule)).to.be.rejectedWith(/creatorRegistry/);
    });

    it("reverts on a zero token, a zero creator registry or a zero admin", async function () {
      const { vault, usdc, creators, admin } = await loadFixture(deployVault);
      const factory = await ethers.getContractFactory("BeatStreamVault");
      const [token, registry] = [await usdc.getAddress(), await creators.getAddress()];
      for (const args of [
        [ethers.ZeroAddress, registry, DELAY, admin.address, ethers.ZeroAddress, PERIOD],
        [token, ethers.ZeroAddress, DELAY, admin.address, ethers.ZeroAddress, PERIOD],
        [token, registry, DELAY, ethers.ZeroAddress, ethers.ZeroAddress, PERIOD],
      ] as const) {
        await expect(factory.deploy(...args)).to.be.revertedWithCustomError(vault, "BeatStreamVaultZeroAddress");
      }
    });

    it("accepts a withdrawal delay of up to 30 days and reverts above", async function () {
      const { vault, usdc, creators, admin } = await loadFixture(deployVault);
      const factory = await ethers.getContractFactory("BeatStreamVault");
      const [token, registry] = [await usdc.getAddress(), await creators.getAddress()];
      const max = 30n * 86_400n;
      const longest = await factory.deploy(token, registry, max, admin.address, ethers.ZeroAddress, PERIOD);
      expect(await longest.WITHDRAWAL_DELAY()).to.equal(max);
      await expect(factory.deploy(token, registry, max + 1n, admin.address, ethers.ZeroAddress, PERIOD))
        .to.be.revertedWithCustomError(vault, "BeatStreamVaultWithdrawalDelayTooLong")
        .withArgs(max + 1n, max);
      await expect(factory.deploy(token, registry, 2n ** 64n - 1n, admin.address, ethers.ZeroAddress, PERIOD))
        .to.be.revertedWithCustomError(vault, "BeatStreamVaultWithdrawalDelayTooLong")
        .withArgs(2n ** 64n - 1n, max);
    });

    it("exposes the voucher type hash and hashes vouchers exactly like ethers' TypedDataEncoder", async function () {
      const f = await loadFixture(deployVault);
      expect(await f.vault.STREAM_VOUCHER_TYPEHASH()).to.equal(
        ethers.id(
          "StreamVoucher(address listener,address artist,bytes32 sessionId,uint256 cumulativeAmount,uint64 deadline)",
        ),
      );
      const voucher = await voucherOf(f, f.alice, f.artist, "s1", 123_456n, 2n ** 64n - 1n);
      expect(await f.vault.hashVoucher(voucher)).to.equal(
        ethers.TypedDataEncoder.hash(f.domain, STREAM_VOUCHER_TYPES, voucher),
      );
    });
  });

  describe("deposit", function () {
    it("pulls USDC into the caller's balance and emits Deposited", async function () {
      const { vault, usdc, alice } = await loadFixture(deployVault);
      await expect(vault.connect(alice).deposit(USDC(10)))
        .to.emit(vault, "Deposited")
        .withArgs(alice.address, USDC(10));
      await vault.connect(alice).deposit(USDC(5));
      expect(await vault.balanceOf(alice.address)).to.equal(USDC(15));
      expect(await usdc.balanceOf(await vault.getAddress())).to.equal(USDC(15));
      expect(await usdc.balanceOf(alice.address)).to.equal(USDC(985));
    });

    it("reverts on zero", async function () {
      const { vault, alice } = await loadFixture(deployVault);
      await expect(vault.connect(alice).deposit(0)).to.be.revertedWithCustomError(vault, "BeatStreamVaultZeroAmount");
    });

    it("reverts while paused", async function () {
      const { vault, alice } = await loadFixture(deployVault);
      await vault.pause();
      await expect(vault.connect(alice).deposit(USDC(1))).to.be.revertedWithCustomError(vault, "EnforcedPause");
    });
  });

  describe("depositWithPermit", function () {
    async function permitFor(f: Fixture, owner: Fixture["alice"], value: bigint, deadline: bigint) {
      return signPermit(owner, {
        name: "USD Coin",
        token: await f.usdc.getAddress(),
        chainId: f.chainId,
        nonce: await f.usdc.nonces(owner.address),
        spender: await f.vault.getAddress(),
        value,
        deadline,
      });
    }

    async function freshListener(f: Fixture) {
      // A listener without any prior approval, so only the permit can let the vault pull.
      const listener = f.stranger;
      await f.usdc.mint(listener.address, USDC(100));
      return listener;
    }

    it("deposits with a permit instead of an approval", async function () {
      const f = await loadFixture(deployVault);
      const listener = await freshListener(f);
      const deadline = BigInt(await time.latest()) + 600n;
      const sig = await permitFor(f, listener, USDC(40), deadline);
      await expect(f.vault.connect(listener).depositWithPermit(USDC(40), deadline, sig.v, sig.r, sig.s))
        .to.emit(f.vault, "Deposited")
        .withArgs(listener.address, USDC(40));
      expect(await f.vault.balanceOf(listener.address)).to.equal(USDC(40));
      expect(await f.usdc.allowance(listener.address, await f.vault.getAddress())).to.equal(0n);
    });

    it("still deposits when someone front-ran the same permit", async function () {
      const f = await loadFixture(deployVault);
      const listener = await freshListener(f);
      const deadline = BigInt(await time.latest()) + 600n;
      const sig = await permitFor(f, listener, USDC(40), deadline);
      await f.usdc
        .connect(f.relayer)
        .permit(listener.address, await f.vault.getAddress(), USDC(40), deadline, sig.v, sig.r, sig.s);
      await expect(f.vault.connect(listener).depositWithPermit(USDC(40), deadline, sig.v, sig.r, sig.s))
        .to.emit(f.vault, "Deposited")
        .withArgs(listener.address, USDC(40));
      expect(await f.vault.balanceOf(listener.address)).to.equal(USDC(40));
    });

    it("reverts with the permit's own error when the permit fails and no allowance exists", async function () {
      const f = await loadFixture(deployVault);
      const listener = await freshListener(f);
      const deadline = BigInt(await time.latest()) + 600n;
      // Signed by someone else: the token rejects it.
      const sig = await permitFor(f, f.bob, USDC(40), deadline);
      await expect(f.vault.connect(listener).depositWithPermit(USDC(40), deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(f.usdc, "ERC2612InvalidSigner")
        .withArgs(anyValue, listener.address);
    });

    it("reverts on zero and while paused", async function () {
      const f = await loadFixture(deployVault);
      const listener = await freshListener(f);
      const deadline = BigInt(await time.latest()) + 600n;
      const zero = await permitFor(f, listener, 0n, deadline);
      await expect(
        f.vault.connect(listener).depositWithPermit(0n, deadline, zero.v, zero.r, zero.s),
      ).to.be.revertedWithCustomError(f.vault, "BeatStreamVaultZeroAmount");
      await f.vault.pause();
      const sig = await permitFor(f, listener, USDC(1), deadline);
      await expect(
        f.vault.connect(listener).depositWithPermit(USDC(1), deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(f.vault, "EnforcedPause");
    });
  });

  describe("withdrawals", function () {
    async function funded() {
      const f = await deployVault();
      await f.vault.connect(f.alice).deposit(USDC(100));
      return f;
    }

    it("records a request that becomes payable after the delay", async function () {
      const { vault, alice } = await loadFixture(funded);
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(vault.connect(alice).requestWithdrawal(USDC(30)))
        .to.emit(vault, "WithdrawalRequested")
        .withArgs(alice.address, USDC(30), at + DELAY);
      const pending = await vault.pendingWithdrawal(alice.address);
      expect(pending.amount).to.equal(USDC(30));
      expect(pending.availableAt).to.equal(at + DELAY);
      expect(await vault.withdrawalDelayLeft(alice.address)).to.equal(DELAY);
      // The balance stays spendable until the withdrawal executes.
      expect(await vault.balanceOf(alice.address)).to.equal(USDC(100));
    });

    it("rejects zero and more than the balance", async function () {
      const { vault, alice, bob } = await loadFixture(funded);
      await expect(vault.connect(alice).requestWithdrawal(0)).to.be.revertedWithCustomError(
        vault,
        "BeatStreamVaultZeroAmount",
      );
      await expect(vault.connect(alice).requestWithdrawal(USDC(101)))
        .to.be.revertedWithCustomError(vault, "BeatStreamVaultInsufficientBalance")
        .withArgs(alice.address, USDC(100), USDC(101));
      await expect(vault.connect(bob).requestWithdrawal(1))
        .to.be.revertedWithCustomError(vault, "BeatStreamVaultInsufficientBalance")
        .withArgs(bob.address, 0n, 1n);
    });

    it("pays after the delay, not before", async function () {
      const { vault, usdc, alice } = await loadFixture(funded);
      await vault.connect(alice).requestWithdrawal(USDC(30));
      const { availableAt } = await vault.pendingWithdrawal(alice.address);
      await time.setNextBlockTimestamp(availableAt - 1n);
      await expect(vault.connect(alice).withdraw())
        .to.be.revertedWithCustomError(vault, "BeatStreamVaultWithdrawalNotReady")
        .withArgs(availableAt, availableAt - 1n);
      await time.setNextBlockTimestamp(availableAt);
      await expect(vault.connect(alice).withdraw()).to.emit(vault, "Withdrawn").withArgs(alice.address, USDC(30));
      expect(await vault.balanceOf(alice.address)).to.equal(USDC(70));
      expect(await usdc.balanceOf(alice.address)).to.equal(USDC(930));
      expect((await vault.pendingWithdrawal(alice.address)).availableAt).to.equal(0n);
      await expect(vault.connect(alice).withdraw())
        .to.be.revertedWithCustomError(vault, "BeatStreamVaultNoWithdrawalRequest")
        .withArgs(alice.address);
    });

    it("pays only what vouchers left of the balance", async function () {
      const f = await loadFixture(funded);
      await f.vault.connect(f.alice).requestWithdrawal(USDC(100));
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(60), BigInt(await time.latest()) + 10n * DELAY);
      await f.vault.connect(f.relayer).settle([voucher], await signAll(f, [f.alice], [voucher]));
      await time.increase(DELAY);
      await expect(f.vault.connect(f.alice).withdraw()).to.emit(f.vault, "Withdrawn").withArgs(f.alice.address, USDC(40));
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(0n);
    });

    it("closes the request with a zero payout when vouchers spent everything", async function () {
      const f = await loadFixture(funded);
      await f.vault.connect(f.alice).requestWithdrawal(USDC(50));
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(100), BigInt(await time.latest()) + 10n * DELAY);
      await f.vault.connect(f.relayer).settle([voucher], await signAll(f, [f.alice], [voucher]));
      await time.increase(DELAY);
      const before = await f.usdc.balanceOf(f.alice.address);
      await expect(f.vault.connect(f.alice).withdraw()).to.emit(f.vault, "Withdrawn").withArgs(f.alice.address, 0n);
      expect(await f.usdc.balanceOf(f.alice.address)).to.equal(before);
      expect((await f.vault.pendingWithdrawal(f.alice.address)).amount).to.equal(0n);
    });

    it("replaces an earlier request and restarts the delay", async function () {
      const { vault, alice } = await loadFixture(funded);
      await vault.connect(alice).requestWithdrawal(USDC(10));
      await time.increase(DELAY / 2n);
      await vault.connect(alice).requestWithdrawal(USDC(20));
      const pending = await vault.pendingWithdrawal(alice.address);
      expect(pending.amount).to.equal(USDC(20));
      expect(pending.availableAt).to.equal(BigInt(await time.latest()) + DELAY);
    });

    it("cancels a request", async function () {
      const { vault, alice } = await loadFixture(funded);
      await expect(vault.connect(alice).cancelWithdrawal())
        .to.be.revertedWithCustomError(vault, "BeatStreamVaultNoWithdrawalRequest")
        .withArgs(alice.address);
      await vault.connect(alice).requestWithdrawal(USDC(10));
      await expect(vault.connect(alice).cancelWithdrawal())
        .to.emit(vault, "WithdrawalCancelled")
        .withArgs(alice.address, USDC(10));
      expect((await vault.pendingWithdrawal(alice.address)).amount).to.equal(0n);
      await time.increase(DELAY);
      await expect(vault.connect(alice).withdraw()).to.be.revertedWithCustomError(
        vault,
        "BeatStreamVaultNoWithdrawalRequest",
      );
    });

    it("waits out a pause: the delay counts unpaused time only, and the artist's voucher settles first", async function () {
      const f = await loadFixture(funded);
      // Alice has heard 60 USDC worth and signed for it; then she asks for everything back.
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(60), BigInt(await time.latest()) + 10n * DELAY);
      const signatures = await signAll(f, [f.alice], [voucher]);
      await f.vault.connect(f.alice).requestWithdrawal(USDC(100));
      const { availableAt } = await f.vault.pendingWithdrawal(f.alice.address);
      await time.increase(DELAY / 4n - 1n);
      await f.vault.pause(); // a quarter of the delay served
      // The attack: wait out the delay while settlement is stopped, and leave before the artist is paid.
      await time.increase(2n * DELAY);
      expect(BigInt(await time.latest())).to.be.greaterThan(availableAt);
      await expect(f.vault.connect(f.alice).withdraw()).to.be.revertedWithCustomError(f.vault, "EnforcedPause");
      expect(await f.vault.withdrawalDelayLeft(f.alice.address)).to.equal(DELAY - DELAY / 4n);
      await f.vault.unpause();
      const unpausedAt = BigInt(await time.latest());
      // Three quarters of the delay are still to run after the unpause.
      await expect(f.vault.connect(f.alice).withdraw())
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultWithdrawalNotReady")
        .withArgs(unpausedAt + DELAY - DELAY / 4n, unpausedAt + 1n);
      // Meanwhile the relayer settles the voucher.
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures))
        .to.emit(f.vault, "StreamSettled")
        .withArgs(sessionKey(f.alice.address, f.artist.address, voucher.sessionId), f.alice.address, f.artist.address, voucher.sessionId, USDC(60), USDC(60));
      await time.setNextBlockTimestamp(unpausedAt + DELAY - DELAY / 4n - 1n);
      await expect(f.vault.connect(f.alice).withdraw())
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultWithdrawalNotReady")
        .withArgs(unpausedAt + DELAY - DELAY / 4n, unpausedAt + DELAY - DELAY / 4n - 1n);
      await time.setNextBlockTimestamp(unpausedAt + DELAY - DELAY / 4n);
      // She leaves with what her vouchers left her; the artist was paid first.
      await expect(f.vault.connect(f.alice).withdraw()).to.emit(f.vault, "Withdrawn").withArgs(f.alice.address, USDC(40));
      expect(await f.vault.earningsOf(f.artist.address)).to.equal(USDC(60));
      expect(await f.usdc.balanceOf(await f.vault.getAddress())).to.equal(USDC(60));
    });

    it("keeps withdrawal requests, cancellations and artists' earnings withdrawals open while paused", async function () {
      const f = await loadFixture(funded);
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(5), BigInt(await time.latest()) + 10n * DELAY);
      await f.vault.connect(f.relayer).settle([voucher], await signAll(f, [f.alice], [voucher]));
      await f.vault.pause();
      await expect(f.vault.connect(f.alice).requestWithdrawal(USDC(10))).to.emit(f.vault, "WithdrawalRequested");
      await expect(f.vault.connect(f.alice).cancelWithdrawal()).to.emit(f.vault, "WithdrawalCancelled").withArgs(f.alice.address, USDC(10));
      await f.vault.connect(f.alice).requestWithdrawal(USDC(95));
      // Requested while paused: none of the delay runs until the unpause.
      await time.increase(DELAY);
      expect(await f.vault.withdrawalDelayLeft(f.alice.address)).to.equal(DELAY);
      await expect(f.vault.connect(f.artist).withdrawEarnings(f.artist.address))
        .to.emit(f.vault, "EarningsWithdrawn")
        .withArgs(f.artist.address, f.artist.address, USDC(5));
      await f.vault.unpause();
      await time.increase(DELAY);
      await expect(f.vault.connect(f.alice).withdraw()).to.emit(f.vault, "Withdrawn").withArgs(f.alice.address, USDC(95));
    });
  });

  describe("settle", function () {
    async function funded() {
      const f = await deployVault();
      await f.vault.connect(f.alice).deposit(USDC(100));
      await f.vault.connect(f.bob).deposit(USDC(50));
      return f;
    }

    it("pays the signed amount from the listener to the artist", async function () {
      const f = await loadFixture(funded);
      const voucher = await voucherOf(f, f.alice, f.artist, "s1", USDC(3));
      const key = sessionKey(f.alice.address, f.artist.address, voucher.sessionId);
      await expect(f.vault.connect(f.relayer).settle([voucher], await signAll(f, [f.alice], [voucher])))
        .to.emit(f.vault, "StreamSettled")
        .withArgs(key, f.alice.address, f.artist.address, voucher.sessionId, USDC(3), USDC(3));
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(USDC(97));
      expect(await f.vault.earningsOf(f.artist.address)).to.equal(USDC(3));
      expect(await f.vault.settledAmount(f.alice.address, f.artist.address, voucher.sessionId)).to.equal(USDC(3));
    });

    it("moves only the increase, and ignores repeated and older vouchers", async function () {
      const f = await loadFixture(funded);
      const v1 = await voucherOf(f, f.alice, f.artist, "s1", USDC(3));
      const v2 = await voucherOf(f, f.alice, f.artist, "s1", USDC(7));
      const key = sessionKey(f.alice.address, f.artist.address, v1.sessionId);
      const sig1 = await signAll(f, [f.alice], [v1]);
      await f.vault.connect(f.relayer).settle([v1], sig1);
      await expect(f.vault.connect(f.relayer).settle([v2], await signAll(f, [f.alice], [v2])))
        .to.emit(f.vault, "StreamSettled")
        .withArgs(key, f.alice.address, f.artist.address, v1.sessionId, USDC(4), USDC(7));
      // Replaying either voucher changes nothing.
      await expect(f.vault.connect(f.relayer).settle([v1], sig1)).not.to.emit(f.vault, "StreamSettled");
      await expect(f.vault.connect(f.relayer).settle([v2], await signAll(f, [f.alice], [v2]))).not.to.emit(f.vault, "StreamSettled");
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(USDC(93));
      expect(await f.vault.earningsOf(f.artist.address)).to.equal(USDC(7));
      expect(await f.vault.settledAmount(f.alice.address, f.artist.address, v1.sessionId)).to.equal(USDC(7));
    });

    it("settles an under-funded session partly, and the rest once the listener tops up", async function () {
      const f = await loadFixture(funded);
      const voucher = await voucherOf(f, f.bob, f.artist, "long", USDC(80), BigInt(await time.latest()) + 10n * DELAY);
      const key = sessionKey(f.bob.address, f.artist.address, voucher.sessionId);
      const signatures = await signAll(f, [f.bob], [voucher]);
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures))
        .to.emit(f.vault, "StreamSettled")
        .withArgs(key, f.bob.address, f.artist.address, voucher.sessionId, USDC(50), USDC(50));
      expect(await f.vault.balanceOf(f.bob.address)).to.equal(0n);
      // Nothing left: the same voucher pays nothing and emits nothing.
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures)).not.to.emit(f.vault, "StreamSettled");
      await f.vault.connect(f.bob).deposit(USDC(100));
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures))
        .to.emit(f.vault, "StreamSettled")
        .withArgs(key, f.bob.address, f.artist.address, voucher.sessionId, USDC(30), USDC(80));
      expect(await f.vault.balanceOf(f.bob.address)).to.equal(USDC(70));
      expect(await f.vault.earningsOf(f.artist.address)).to.equal(USDC(80));
    });

    it("settles many listeners and artists in one call, aggregating runs of one artist", async function () {
      const f = await loadFixture(funded);
      const vouchers = [
        await voucherOf(f, f.alice, f.artist, "a", USDC(1)),
        await voucherOf(f, f.bob, f.artist, "b", USDC(2)),
        await voucherOf(f, f.alice, f.artist2, "c", USDC(4)),
        await voucherOf(f, f.bob, f.artist, "d", USDC(8)),
      ];
      const tx = f.vault.connect(f.relayer).settle(vouchers, await signAll(f, [f.alice, f.bob, f.alice, f.bob], vouchers));
      for (const v of vouchers) {
        await expect(tx)
          .to.emit(f.vault, "StreamSettled")
          .withArgs(sessionKey(v.listener, v.artist, v.sessionId), v.listener, v.artist, v.sessionId, v.cumulativeAmount, v.cumulativeAmount);
      }
      expect(await f.vault.earningsOf(f.artist.address)).to.equal(USDC(11));
      expect(await f.vault.earningsOf(f.artist2.address)).to.equal(USDC(4));
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(USDC(95));
      expect(await f.vault.balanceOf(f.bob.address)).to.equal(USDC(40));
    });

    it("accepts an empty batch and a voucher on its deadline", async function () {
      const f = await loadFixture(funded);
      await expect(f.vault.connect(f.relayer).settle([], "0x")).not.to.emit(f.vault, "StreamSettled");
      const deadline = BigInt(await time.latest()) + 100n;
      const voucher = await voucherOf(f, f.alice, f.artist, "edge", USDC(1), deadline);
      const signatures = await signAll(f, [f.alice], [voucher]);
      await time.setNextBlockTimestamp(deadline);
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures)).to.emit(f.vault, "StreamSettled");
    });

    it("reverts on an expired voucher", async function () {
      const f = await loadFixture(funded);
      const deadline = BigInt(await time.latest()) + 100n;
      const vouchers = [
        await voucherOf(f, f.alice, f.artist, "ok", USDC(1), deadline + 1n),
        await voucherOf(f, f.bob, f.artist, "late", USDC(1), deadline),
      ];
      const signatures = await signAll(f, [f.alice, f.bob], vouchers);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.vault.connect(f.relayer).settle(vouchers, signatures))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultVoucherExpired")
        .withArgs(1n, deadline);
    });

    it("reverts on a voucher signed by someone else or altered after signing", async function () {
      const f = await loadFixture(funded);
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(1));
      // Bob signs a voucher that spends Alice's balance.
      const forged = await signVoucher(f.bob, f.domain, voucher);
      await expect(f.vault.connect(f.relayer).settle([voucher], forged))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultInvalidSignature")
        .withArgs(0n);
      // A relayer raises the amount Alice signed.
      const honest = await signVoucher(f.alice, f.domain, voucher);
      const ok = await voucherOf(f, f.bob, f.artist, "ok", USDC(1));
      await expect(
        f.vault.connect(f.relayer).settle(
          [ok, { ...voucher, cumulativeAmount: USDC(99) }],
          packSignatures([await signVoucher(f.bob, f.domain, ok), honest]),
        ),
      )
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultInvalidSignature")
        .withArgs(1n);
      // A signature for another vault (another verifying contract) does not carry over.
      const elsewhere = await signVoucher(f.alice, { ...f.domain, verifyingContract: f.stranger.address }, voucher);
      await expect(f.vault.connect(f.relayer).settle([voucher], elsewhere))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultInvalidSignature")
        .withArgs(0n);
    });

    it("rejects the malleable twin of a valid signature and garbage signatures", async function () {
      const f = await loadFixture(funded);
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(1));
      const sig = ethers.Signature.from(await signVoucher(f.alice, f.domain, voucher));
      // (r, n - s, flipped v) recovers the same signer through ecrecover, but ECDSA rules it out.
      const twin = ethers.concat([sig.r, ethers.toBeHex(SECP256K1_N - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]);
      await expect(f.vault.connect(f.relayer).settle([voucher], twin))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultInvalidSignature")
        .withArgs(0n);
      const badV = ethers.concat([sig.r, sig.s, "0x1d"]);
      await expect(f.vault.connect(f.relayer).settle([voucher], badV))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultInvalidSignature")
        .withArgs(0n);
      // All zeros: ecrecover fails and returns nothing, which must not match the zero address.
      const zeroVoucher = { ...voucher, listener: ethers.ZeroAddress };
      await expect(f.vault.connect(f.relayer).settle([zeroVoucher], new Uint8Array(65)))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultInvalidSignature")
        .withArgs(0n);
      // The valid signature still settles.
      await expect(f.vault.connect(f.relayer).settle([voucher], sig.serialized)).to.emit(f.vault, "StreamSettled");
    });

    it("reverts when the signatures do not span exactly 65 bytes per voucher", async function () {
      const f = await loadFixture(funded);
      const vouchers = [await voucherOf(f, f.alice, f.artist, "s", USDC(1)), await voucherOf(f, f.bob, f.artist, "t", USDC(1))];
      const signatures = await signAll(f, [f.alice, f.bob], vouchers);
      await expect(f.vault.connect(f.relayer).settle(vouchers, ethers.dataSlice(signatures, 0, 129)))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultSignaturesLengthMismatch")
        .withArgs(2n, 129n);
      await expect(f.vault.connect(f.relayer).settle([vouchers[0]], signatures))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultSignaturesLengthMismatch")
        .withArgs(1n, 130n);
    });

    it("reverts on a voucher for the zero artist, whose earnings nobody could withdraw", async function () {
      const f = await loadFixture(funded);
      const vouchers = [
        await voucherOf(f, f.alice, f.artist, "s", USDC(1)),
        await voucherOf(f, f.bob, { address: ethers.ZeroAddress }, "t", USDC(1)),
      ];
      await expect(f.vault.connect(f.relayer).settle(vouchers, await signAll(f, [f.alice, f.bob], vouchers)))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultZeroArtist")
        .withArgs(1n);
    });

    it("reverts on a voucher for the zero artist at index 0 too, before any run of artists began", async function () {
      const f = await loadFixture(funded);
      const voucher = await voucherOf(f, f.alice, { address: ethers.ZeroAddress }, "s", USDC(1));
      await expect(f.vault.connect(f.relayer).settle([voucher], await signAll(f, [f.alice], [voucher])))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultZeroArtist")
        .withArgs(0n);
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(USDC(100));
    });

    it("reverts on a voucher whose listener pays itself, wherever it sits in the batch", async function () {
      const f = await loadFixture(funded);
      // A creator who also listens: the creator check alone would let it pay itself.
      await f.creators.setCreator(f.alice.address, true);
      const self = await voucherOf(f, f.alice, f.alice, "self", USDC(5));
      const selfSignature = await signVoucher(f.alice, f.domain, self);
      await expect(f.vault.connect(f.relayer).settle([self], selfSignature))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultSelfPayment")
        .withArgs(0n);
      // After a run of the same artist as the listener's, and between two vouchers of other artists.
      const before = await voucherOf(f, f.bob, f.alice, "b", USDC(1));
      const after = await voucherOf(f, f.bob, f.artist, "a", USDC(1));
      await expect(
        f.vault
          .connect(f.relayer)
          .settle(
            [before, self, after],
            packSignatures([await signVoucher(f.bob, f.domain, before), selfSignature, await signVoucher(f.bob, f.domain, after)]),
          ),
      )
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultSelfPayment")
        .withArgs(1n);
      expect(await f.vault.earningsOf(f.alice.address)).to.equal(0n);
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(USDC(100));
    });

    it("reverts on a voucher to an address that is not a creator, such as the listener's own second address", async function () {
      const f = await loadFixture(funded);
      // The audit's attack: Alice streams to a second address of hers, which has minted nothing.
      const second = ethers.Wallet.createRandom();
      const escape = await voucherOf(f, f.alice, second, "escape", USDC(100));
      await expect(f.vault.connect(f.relayer).settle([escape], await signAll(f, [f.alice], [escape])))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultNotCreator")
        .withArgs(0n, second.address);
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(USDC(100));
      expect(await f.vault.earningsOf(second.address)).to.equal(0n);
      // Among creators' vouchers, reported at the first voucher of the stranger's run.
      const vouchers = [
        await voucherOf(f, f.bob, f.artist, "a", USDC(1)),
        await voucherOf(f, f.alice, second, "b", USDC(1)),
        await voucherOf(f, f.bob, second, "c", USDC(1)),
        await voucherOf(f, f.alice, f.artist2, "d", USDC(1)),
      ];
      const signatures = await signAll(f, [f.bob, f.alice, f.bob, f.alice], vouchers);
      await expect(f.vault.connect(f.relayer).settle(vouchers, signatures))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultNotCreator")
        .withArgs(1n, second.address);
      // Once it is a creator (it minted a track), the same vouchers settle.
      await f.creators.setCreator(second.address, true);
      await f.vault.connect(f.relayer).settle(vouchers, signatures);
      expect(await f.vault.earningsOf(second.address)).to.equal(USDC(2));
    });

    it("lets only RELAYER_ROLE settle, so a listener cannot settle a voucher to itself and exit at once", async function () {
      const f = await loadFixture(funded);
      const role = await f.vault.RELAYER_ROLE();
      // The audit's attack: a listener signs a voucher to an address it controls and settles it itself.
      const voucher = await voucherOf(f, f.alice, f.stranger, "escape", USDC(100));
      const signatures = await signAll(f, [f.alice], [voucher]);
      for (const caller of [f.alice, f.stranger, f.admin]) {
        await expect(f.vault.connect(caller).settle([voucher], signatures))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
      await expect(f.vault.connect(f.stranger).settle([], "0x"))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.stranger.address, role);
      expect(await f.vault.balanceOf(f.alice.address)).to.equal(USDC(100));
      expect(await f.vault.earningsOf(f.stranger.address)).to.equal(0n);
    });

    it("reverts while paused and works again after unpause", async function () {
      const f = await loadFixture(funded);
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(1));
      const signatures = await signAll(f, [f.alice], [voucher]);
      await f.vault.pause();
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures)).to.be.revertedWithCustomError(f.vault, "EnforcedPause");
      await f.vault.unpause();
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures)).to.emit(f.vault, "StreamSettled");
    });
  });

  describe("withdrawEarnings", function () {
    it("pays all earnings to the chosen address", async function () {
      const f = await loadFixture(deployVault);
      await f.vault.connect(f.alice).deposit(USDC(10));
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(6));
      await f.vault.connect(f.relayer).settle([voucher], await signAll(f, [f.alice], [voucher]));
      await expect(f.vault.connect(f.artist).withdrawEarnings(f.artist2.address))
        .to.emit(f.vault, "EarningsWithdrawn")
        .withArgs(f.artist.address, f.artist2.address, USDC(6));
      expect(await f.usdc.balanceOf(f.artist2.address)).to.equal(USDC(6));
      expect(await f.vault.earningsOf(f.artist.address)).to.equal(0n);
      await expect(f.vault.connect(f.artist).withdrawEarnings(f.artist.address))
        .to.be.revertedWithCustomError(f.vault, "BeatStreamVaultNoEarnings")
        .withArgs(f.artist.address);
    });

    it("reverts on the zero address", async function () {
      const { vault, artist } = await loadFixture(deployVault);
      await expect(vault.connect(artist).withdrawEarnings(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        vault,
        "BeatStreamVaultZeroAddress",
      );
    });
  });

  describe("roles", function () {
    it("lets only PAUSER_ROLE pause and unpause", async function () {
      const { vault, admin, stranger } = await loadFixture(deployVault);
      const role = await vault.PAUSER_ROLE();
      await expect(vault.connect(stranger).pause())
        .to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(vault.connect(admin).pause()).to.emit(vault, "Paused").withArgs(admin.address);
      expect(await vault.paused()).to.equal(true);
      await expect(vault.connect(stranger).unpause())
        .to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(vault.connect(admin).unpause()).to.emit(vault, "Unpaused").withArgs(admin.address);
    });

    it("lets the admin grant and revoke RELAYER_ROLE, and only the admin", async function () {
      const f = await loadFixture(deployVault);
      await f.vault.connect(f.alice).deposit(USDC(10));
      const role = await f.vault.RELAYER_ROLE();
      await expect(f.vault.connect(f.stranger).grantRole(role, f.stranger.address))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.stranger.address, await f.vault.DEFAULT_ADMIN_ROLE());
      await expect(f.vault.connect(f.admin).grantRole(role, f.stranger.address))
        .to.emit(f.vault, "RoleGranted")
        .withArgs(role, f.stranger.address, f.admin.address);
      const voucher = await voucherOf(f, f.alice, f.artist, "s", USDC(1));
      const signatures = await signAll(f, [f.alice], [voucher]);
      await expect(f.vault.connect(f.stranger).settle([voucher], signatures)).to.emit(f.vault, "StreamSettled");
      await f.vault.connect(f.admin).revokeRole(role, f.relayer.address);
      await expect(f.vault.connect(f.relayer).settle([voucher], signatures))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.relayer.address, role);
    });

    it("lets the admin grant PAUSER_ROLE, and only the admin", async function () {
      const { vault, admin, relayer, stranger } = await loadFixture(deployVault);
      const role = await vault.PAUSER_ROLE();
      await expect(vault.connect(stranger).grantRole(role, stranger.address))
        .to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await vault.DEFAULT_ADMIN_ROLE());
      await expect(vault.connect(admin).grantRole(role, relayer.address))
        .to.emit(vault, "RoleGranted")
        .withArgs(role, relayer.address, admin.address);
      await expect(vault.connect(relayer).pause()).to.emit(vault, "Paused").withArgs(relayer.address);
    });
  });
});
