import { expect } from "chai";
import { network } from "hardhat";
import { ZeroAddress, ZeroHash, id } from "ethers";
import {
  COIN_SUPPLY,
  CREATOR_ALLOCATION,
  LAUNCH_THRESHOLD,
  MARKET_AMOUNT,
  VESTING_DURATION,
  deployCreatorEconomy,
} from "./helpers/coin/fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture } = networkHelpers;
const fixture = () => deployCreatorEconomy(connection);
const RELAYER_ROLE = id("RELAYER_ROLE");
const VERIFIER_ROLE = id("VERIFIER_ROLE");
const DAY = 24n * 60n * 60n;

describe("CreatorCoinFactory", function () {
  describe("deployment", function () {
    it("deploys the implementation, sets the defaults and announces them", async function () {
      const { factory, implementation, plays, dex, distributor, admin } = await loadFixture(fixture);
      expect(await factory.implementation()).to.equal(await implementation.getAddress());
      expect(await implementation.FACTORY()).to.equal(await factory.getAddress());
      expect(await factory.MUSIC_NFT()).to.equal(await plays.getAddress());
      expect(await factory.DEX()).to.equal(await dex.getAddress());
      expect(await factory.DISTRIBUTOR()).to.equal(await distributor.getAddress());
      expect(await factory.hasRole(ZeroHash, admin.address)).to.equal(true);
      expect(await factory.RELAYER_ROLE()).to.equal(RELAYER_ROLE);
      expect(await factory.VERIFIER_ROLE()).to.equal(VERIFIER_ROLE);
      expect(await factory.launchThreshold()).to.equal(LAUNCH_THRESHOLD);
      expect(await factory.coinSupply()).to.equal(COIN_SUPPLY);
      expect(await factory.creatorAllocationBps()).to.equal(1_000n);
      expect(await factory.vestingDuration()).to.equal(VESTING_DURATION);

      const fresh = await ethers.deployContract("CreatorCoinFactory", [
        await plays.getAddress(),
        await dex.getAddress(),
        await distributor.getAddress(),
        admin.address,
      ]);
      await expect(fresh.deploymentTransaction())
        .to.emit(fresh, "LaunchParametersUpdated")
        .withArgs(LAUNCH_THRESHOLD, COIN_SUPPLY, 1_000n, VESTING_DURATION);
    });

    it("rejects zero addresses", async function () {
      const { factory, plays, dex, distributor, admin } = await loadFixture(fixture);
      const args = [await plays.getAddress(), await dex.getAddress(), await distributor.getAddress(), admin.address];
      for (let i = 0; i < args.length; i++) {
        const withZero = args.map((a, j) => (j === i ? ZeroAddress : a));
        await expect(ethers.deployContract("CreatorCoinFactory", withZero)).to.be.revertedWithCustomError(
          factory,
          "CreatorCoinFactoryZeroAddress",
        );
      }
    });
  });

  describe("launchCoin", function () {
    it("launches at the predicted address, initialized, registered and with an open market", async function () {
      const { factory, plays, dex, distributor, creator } = await loadFixture(fixture);
      await plays.setCreatorPlays(creator.address, LAUNCH_THRESHOLD);
      const predicted = await factory.predictCoinAddress(creator.address);
      expect(await factory.coinOf(creator.address)).to.equal(ZeroAddress);
      expect(await factory.connect(creator).launchCoin.staticCall("Alice Coin", "ALC")).to.equal(predicted);

      const tx = factory.connect(creator).launchCoin("Alice Coin", "ALC");
      await expect(tx)
        .to.emit(factory, "CreatorCoinLaunched")
        .withArgs(creator.address, predicted, "Alice Coin", "ALC", COIN_SUPPLY, CREATOR_ALLOCATION, VESTING_DURATION);
      await expect(tx).to.emit(distributor, "CoinRegistered").withArgs(predicted);
      await expect(tx).to.emit(dex, "MarketOpened").withArgs(predicted, creator.address, MARKET_AMOUNT);

      expect(await factory.coinOf(creator.address)).to.equal(predicted);
      expect(await factory.isCoin(predicted)).to.equal(true);
      expect(await distributor.isCoin(predicted)).to.equal(true);
      const coin = await ethers.getContractAt("CreatorCoin", predicted);
      expect(await coin.creator()).to.equal(creator.address);
      expect(await coin.balanceOf(await dex.getAddress())).to.equal(MARKET_AMOUNT);
    });

    it("rejects a creator below the threshold", async function () {
      const { factory, plays, creator } = await loadFixture(fixture);
      await plays.setCreatorPlays(creator.address, LAUNCH_THRESHOLD - 1n);
      await expect(factory.connect(creator).launchCoin("Alice Coin", "ALC"))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryBelowThreshold")
        .withArgs(LAUNCH_THRESHOLD - 1n, LAUNCH_THRESHOLD);
    });

    it("allows one coin per creator", async function () {
      const { factory, plays, creator } = await loadFixture(fixture);
      await plays.setCreatorPlays(creator.address, LAUNCH_THRESHOLD);
      await factory.connect(creator).launchCoin("Alice Coin", "ALC");
      await expect(factory.connect(creator).launchCoin("Again", "AGN"))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryAlreadyLaunched")
        .withArgs(creator.address, await factory.predictCoinAddress(creator.address));
    });

    it("requires a 1-31 byte name and symbol", async function () {
      const { factory, plays, creator } = await loadFixture(fixture);
      await plays.setCreatorPlays(creator.address, LAUNCH_THRESHOLD);
      const long = "x".repeat(32);
      await expect(factory.connect(creator).launchCoin("", "ALC"))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidName")
        .withArgs("");
      await expect(factory.connect(creator).launchCoin(long, "ALC"))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidName")
        .withArgs(long);
      await expect(factory.connect(creator).launchCoin("Alice Coin", ""))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidSymbol")
        .withArgs("");
      await expect(factory.connect(creator).launchCoin("Alice Coin", long))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidSymbol")
        .withArgs(long);
      const max = "y".repeat(31);
      await factory.connect(creator).launchCoin(max, max);
      const coin = await ethers.getContractAt("CreatorCoin", await factory.coinOf(creator.address));
      expect(await coin.name()).to.equal(max);
      expect(await coin.symbol()).to.equal(max);
    });
  });

  describe("launch parameters", function () {
    it("are set by governance, announced in full and used by later launches", async function () {
      const { factory, plays, admin, creator } = await loadFixture(fixture);
      await expect(factory.connect(admin).setLaunchThreshold(10n))
        .to.emit(factory, "LaunchParametersUpdated")
        .withArgs(10n, COIN_SUPPLY, 1_000n, VESTING_DURATION);
      await expect(factory.connect(admin).setCoinSupply(2_000n * 10n ** 18n))
        .to.emit(factory, "LaunchParametersUpdated")
        .withArgs(10n, 2_000n * 10n ** 18n, 1_000n, VESTING_DURATION);
      await expect(factory.connect(admin).setCreatorAllocationBps(2_500n))
        .to.emit(factory, "LaunchParametersUpdated")
        .withArgs(10n, 2_000n * 10n ** 18n, 2_500n, VESTING_DURATION);
      await expect(factory.connect(admin).setVestingDuration(30n * DAY))
        .to.emit(factory, "LaunchParametersUpdated")
        .withArgs(10n, 2_000n * 10n ** 18n, 2_500n, 30n * DAY);

      await plays.setCreatorPlays(creator.address, 10n);
      await expect(factory.connect(creator).launchCoin("Small", "SML"))
        .to.emit(factory, "CreatorCoinLaunched")
        .withArgs(
          creator.address,
          await factory.predictCoinAddress(creator.address),
          "Small",
          "SML",
          2_000n * 10n ** 18n,
          500n * 10n ** 18n,
          30n * DAY,
        );
    });

    it("are validated", async function () {
      const { factory, admin } = await loadFixture(fixture);
      const f = factory.connect(admin);
      for (const bad of [0n, 2n ** 64n]) {
        await expect(f.setLaunchThreshold(bad))
          .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidLaunchThreshold")
          .withArgs(bad);
      }
      for (const bad of [10n ** 18n - 1n, 10n ** 28n + 1n]) {
        await expect(f.setCoinSupply(bad))
          .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidCoinSupply")
          .withArgs(bad);
      }
      await expect(f.setCreatorAllocationBps(5_001n))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidCreatorAllocation")
        .withArgs(5_001n);
      for (const bad of [0n, 3_650n * DAY + 1n]) {
        await expect(f.setVestingDuration(bad))
          .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryInvalidVestingDuration")
          .withArgs(bad);
      }
      // The bounds themselves are accepted.
      await f.setLaunchThreshold(2n ** 64n - 1n);
      await f.setCoinSupply(10n ** 28n);
      await f.setCreatorAllocationBps(5_000n);
      await f.setVestingDuration(3_650n * DAY);
      expect(await factory.MAX_COIN_SUPPLY()).to.equal(10n ** 28n);
      expect(await factory.MIN_COIN_SUPPLY()).to.equal(10n ** 18n);
      expect(await factory.MAX_CREATOR_ALLOCATION_BPS()).to.equal(5_000n);
      expect(await factory.MAX_VESTING_DURATION()).to.equal(3_650n * DAY);
    });

    it("are only for DEFAULT_ADMIN_ROLE", async function () {
      const { factory, other } = await loadFixture(fixture);
      const f = factory.connect(other);
      for (const call of [
        () => f.setLaunchThreshold(1n),
        () => f.setCoinSupply(10n ** 18n),
        () => f.setCreatorAllocationBps(1n),
        () => f.setVestingDuration(1n),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(factory, "AccessControlUnauthorizedAccount")
          .withArgs(other.address, ZeroHash);
      }
    });
  });

  describe("creator metrics", function () {
    it("are recorded by the relayer with their snapshot CID", async function () {
      const { factory, admin, relayer, creator } = await loadFixture(fixture);
      await factory.connect(admin).grantRole(RELAYER_ROLE, relayer.address);
      const cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
      await expect(factory.connect(relayer).updateCreatorMetrics(creator.address, 75_000n, 1_200n, 3_500_000n, cid))
        .to.emit(factory, "CreatorMetricsUpdated")
        .withArgs(creator.address, 75_000n, 1_200n, 3_500_000n, cid);
      const m = await factory.creatorMetrics(creator.address);
      expect([m.plays, m.followers, m.revenue, m.snapshotCid]).to.deep.equal([75_000n, 1_200n, 3_500_000n, cid]);
    });

    it("reject values beyond their stored widths", async function () {
      const { factory, admin, relayer, creator } = await loadFixture(fixture);
      await factory.connect(admin).grantRole(RELAYER_ROLE, relayer.address);
      const r = factory.connect(relayer);
      await expect(r.updateCreatorMetrics(creator.address, 2n ** 96n, 0n, 0n, "c"))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryMetricOverflow")
        .withArgs(2n ** 96n);
      await expect(r.updateCreatorMetrics(creator.address, 0n, 2n ** 64n, 0n, "c"))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryMetricOverflow")
        .withArgs(2n ** 64n);
      await expect(r.updateCreatorMetrics(creator.address, 0n, 0n, 2n ** 96n, "c"))
        .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryMetricOverflow")
        .withArgs(2n ** 96n);
    });

    it("are only for RELAYER_ROLE", async function () {
      const { factory, other, creator } = await loadFixture(fixture);
      await expect(factory.connect(other).updateCreatorMetrics(creator.address, 1n, 1n, 1n, "c"))
        .to.be.revertedWithCustomError(factory, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, RELAYER_ROLE);
    });
  });

  describe("verification", function () {
    it("is set and cleared by the verifier", async function () {
      const { factory, admin, verifier, creator } = await loadFixture(fixture);
      await factory.connect(admin).grantRole(VERIFIER_ROLE, verifier.address);
      await expect(factory.connect(verifier).setVerified(creator.address, true))
        .to.emit(factory, "CreatorVerified")
        .withArgs(creator.address, true);
      expect(await factory.isVerified(creator.address)).to.equal(true);
      await expect(factory.connect(verifier).setVerified(creator.address, false))
        .to.emit(factory, "CreatorVerified")
        .withArgs(creator.address, false);
      expect(await factory.isVerified(creator.address)).to.equal(false);
    });

    it("is only for VERIFIER_ROLE", async function () {
      const { factory, other, creator } = await loadFixture(fixture);
      await expect(factory.connect(other).setVerified(creator.address, true))
        .to.be.revertedWithCustomError(factory, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, VERIFIER_ROLE);
    });
  });
});
