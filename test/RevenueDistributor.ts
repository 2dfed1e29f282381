import { expect } from "chai";
import { network } from "hardhat";
import { MaxUint256, ZeroAddress, ZeroHash, id } from "ethers";
import { COINS, LAUNCH_THRESHOLD, USDC, deployWithCoin } from "./helpers/coin/fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture } = networkHelpers;
const REGISTRAR_ROLE = id("REGISTRAR_ROLE");

/** A launched coin, a funded depositor (admin) with max approval. */
async function fixture() {
  const fx = await deployWithCoin(connection);
  await fx.usdc.mint(fx.admin.address, USDC(1_000_000));
  await fx.usdc.connect(fx.admin).approve(await fx.distributor.getAddress(), MaxUint256);
  return { ...fx, coinAddress: await fx.coin.getAddress() };
}

describe("RevenueDistributor", function () {
  describe("deployment", function () {
    it("wires USDC, the admin and the factory as registrar", async function () {
      const { distributor, usdc, admin, factory } = await loadFixture(fixture);
      expect(await distributor.usdc()).to.equal(await usdc.getAddress());
      expect(await distributor.hasRole(ZeroHash, admin.address)).to.equal(true);
      expect(await distributor.REGISTRAR_ROLE()).to.equal(REGISTRAR_ROLE);
      expect(await distributor.hasRole(REGISTRAR_ROLE, await factory.getAddress())).to.equal(true);
    });

    it("rejects zero addresses", async function () {
      const { distributor, usdc, admin } = await loadFixture(fixture);
      await expect(ethers.deployContract("RevenueDistributor", [ZeroAddress, admin.address])).to.be.revertedWithCustomError(
        distributor,
        "RevenueDistributorZeroAddress",
      );
      await expect(
        ethers.deployContract("RevenueDistributor", [await usdc.getAddress(), ZeroAddress]),
      ).to.be.revertedWithCustomError(distributor, "RevenueDistributorZeroAddress");
    });
  });

  describe("registerCoin", function () {
    it("registers a coin once, only for REGISTRAR_ROLE", async function () {
      const { distributor, admin, other, coinAddress } = await loadFixture(fixture);
      await expect(distributor.connect(other).registerCoin(other.address))
        .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, REGISTRAR_ROLE);
      await distributor.connect(admin).grantRole(REGISTRAR_ROLE, admin.address);
      await expect(distributor.connect(admin).registerCoin(other.address))
        .to.emit(distributor, "CoinRegistered")
        .withArgs(other.address);
      expect(await distributor.isCoin(other.address)).to.equal(true);
      await expect(distributor.connect(admin).registerCoin(coinAddress))
        .to.be.revertedWithCustomError(distributor, "RevenueDistributorAlreadyRegistered")
        .withArgs(coinAddress);
    });
  });

  describe("deposit", function () {
    it("moves USDC from the caller straight into the coin and raises its accumulator", async function () {
      const { distributor, usdc, coin, dex, admin, alice, coinAddress } = await loadFixture(fixture);
      await dex.sendCoins(coinAddress, alice.address, COINS(1_000));
      const tx = distributor.connect(admin).deposit(coinAddress, USDC(100));
      // The coin names the original depositor, not the router.
      await expect(tx).to.emit(coin, "RevenueDeposited").withArgs(admin.address, USDC(100));
      await expect(tx).to.emit(usdc, "Transfer").withArgs(admin.address, coinAddress, USDC(100));
      expect(await usdc.balanceOf(await distributor.getAddress())).to.equal(0n);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(100));
      expect(await coin.revenuePerToken()).to.equal((USDC(100) * 10n ** 27n) / COINS(1_000));
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(USDC(100));
    });

    it("rejects an unregistered coin and a zero amount", async function () {
      const { distributor, admin, other, coinAddress } = await loadFixture(fixture);
      await expect(distributor.connect(admin).deposit(other.address, 1n))
        .to.be.revertedWithCustomError(distributor, "RevenueDistributorUnknownCoin")
        .withArgs(other.address);
      await expect(distributor.connect(admin).deposit(coinAddress, 0n))
        .to.be.revertedWithCustomError(distributor, "RevenueDistributorZeroAmount")
        .withArgs(coinAddress);
    });

    it("carries a deposit made with no eligible holder and pays it with the next deposit", async function () {
      const { distributor, coin, dex, admin, alice, bob, coinAddress } = await loadFixture(fixture);
      await distributor.connect(admin).deposit(coinAddress, USDC(30));
      expect(await coin.undistributedRevenue()).to.equal(USDC(30));
      expect(await coin.revenuePerToken()).to.equal(0n);
      // Less than one whole coin eligible still carries: a dust holder cannot capture the deposit.
      await dex.sendCoins(coinAddress, alice.address, COINS(1) / 2n);
      await distributor.connect(admin).deposit(coinAddress, USDC(10));
      expect(await coin.undistributedRevenue()).to.equal(USDC(40));
      expect(await coin.claimableRevenue(alice.address)).to.equal(0n);

      await dex.sendCoins(coinAddress, bob.address, COINS(3) / 2n);
      await distributor.connect(admin).deposit(coinAddress, USDC(60));
      expect(await coin.undistributedRevenue()).to.equal(0n);
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(USDC(25));
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(USDC(75));
    });
  });

  describe("claim", function () {
    it("pays what each holder earned, keeping earnings across transfers", async function () {
      const { distributor, usdc, coin, dex, admin, alice, bob, coinAddress } = await loadFixture(fixture);
      await dex.sendCoins(coinAddress, alice.address, COINS(300));
      await dex.sendCoins(coinAddress, bob.address, COINS(100));
      await distributor.connect(admin).deposit(coinAddress, USDC(400)); // alice 300, bob 100
      await coin.connect(alice).transfer(bob.address, COINS(300)); // alice now holds nothing
      await distributor.connect(admin).deposit(coinAddress, USDC(80)); // all to bob
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(USDC(300));
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(USDC(180));

      await expect(distributor.connect(alice).claim([coinAddress]))
        .to.emit(coin, "RevenueClaimed")
        .withArgs(alice.address, USDC(300));
      expect(await usdc.balanceOf(alice.address)).to.equal(USDC(300));
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(0n);
      await expect(distributor.connect(bob).claim([coinAddress]))
        .to.emit(usdc, "Transfer")
        .withArgs(coinAddress, bob.address, USDC(180));
      expect(await usdc.balanceOf(coinAddress)).to.equal(0n);
    });

    it("claims several coins in one call, each coin paying from its own USDC", async function () {
      const { distributor, usdc, coin, factory, plays, dex, admin, other, alice, coinAddress } = await loadFixture(fixture);
      await plays.setCreatorPlays(other.address, LAUNCH_THRESHOLD);
      await factory.connect(other).launchCoin("Other", "OTH");
      const second = await factory.coinOf(other.address);
      await dex.sendCoins(coinAddress, alice.address, COINS(10));
      await dex.sendCoins(second, alice.address, COINS(10));
      await distributor.connect(admin).deposit(coinAddress, USDC(5));
      await distributor.connect(admin).deposit(second, USDC(7));

      // Custody is per coin: each coin holds exactly its own deposits.
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(5));
      expect(await usdc.balanceOf(second)).to.equal(USDC(7));
      const secondCoin = await ethers.getContractAt("CreatorCoin", second);

      expect(await distributor.connect(alice).claim.staticCall([coinAddress, second])).to.equal(USDC(12));
      const tx = distributor.connect(alice).claim([coinAddress, second]);
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, USDC(5));
      await expect(tx).to.emit(secondCoin, "RevenueClaimed").withArgs(alice.address, USDC(7));
      await expect(tx).to.emit(usdc, "Transfer").withArgs(coinAddress, alice.address, USDC(5));
      await expect(tx).to.emit(usdc, "Transfer").withArgs(second, alice.address, USDC(7));
      expect(await usdc.balanceOf(alice.address)).to.equal(USDC(12));
      expect(await usdc.balanceOf(coinAddress)).to.equal(0n);
      expect(await usdc.balanceOf(second)).to.equal(0n);
    });

    it("skips coins that owe nothing: no payment, no event, no revert", async function () {
      const { distributor, usdc, coin, other, coinAddress } = await loadFixture(fixture);
      expect(await distributor.connect(other).claim.staticCall([coinAddress])).to.equal(0n);
      await expect(distributor.connect(other).claim([coinAddress]))
        .to.not.emit(coin, "RevenueClaimed")
        .and.to.not.emit(usdc, "Transfer");
    });

    it("only lets the distributor claim on a holder's behalf", async function () {
      const { coin, distributor, other } = await loadFixture(fixture);
      await expect(coin.connect(other).claimRevenueFor(other.address))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      expect(await coin.DISTRIBUTOR()).to.equal(await distributor.getAddress());
    });

    it("rejects an unregistered coin", async function () {
      const { distributor, other, coinAddress } = await loadFixture(fixture);
      await expect(distributor.connect(other).claim([coinAddress, other.address]))
        .to.be.revertedWithCustomError(distributor, "RevenueDistributorUnknownCoin")
        .withArgs(other.address);
      await expect(distributor.claimable(other.address, other.address))
        .to.be.revertedWithCustomError(distributor, "RevenueDistributorUnknownCoin")
        .withArgs(other.address);
    });
  });

  describe("setExcluded", function () {
    it("excludes an account from future revenue, keeping what it earned, and includes it back", async function () {
      const { distributor, coin, dex, admin, alice, bob, coinAddress } = await loadFixture(fixture);
      await dex.sendCoins(coinAddress, alice.address, COINS(100));
      await dex.sendCoins(coinAddress, bob.address, COINS(100));
      await distributor.connect(admin).deposit(coinAddress, USDC(20)); // 10 each

      await expect(distributor.connect(admin).setExcluded(coinAddress, bob.address, true))
        .to.emit(distributor, "RevenueExclusionSet")
        .withArgs(coinAddress, bob.address, true);
      expect(await coin.isRevenueExcluded(bob.address)).to.equal(true);
      expect(await coin.eligibleSupply()).to.equal(COINS(100));
      await distributor.connect(admin).deposit(coinAddress, USDC(20)); // all to alice
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(USDC(30));
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(USDC(10));
      // Coins moving between included and excluded holders move the eligible supply.
      await coin.connect(alice).transfer(bob.address, COINS(50));
      expect(await coin.eligibleSupply()).to.equal(COINS(50));
      await coin.connect(bob).transfer(alice.address, COINS(10));
      expect(await coin.eligibleSupply()).to.equal(COINS(60));
      // Setting the same state again changes nothing.
      await distributor.connect(admin).setExcluded(coinAddress, bob.address, true);
      expect(await coin.eligibleSupply()).to.equal(COINS(60));

      await distributor.connect(admin).setExcluded(coinAddress, bob.address, false);
      expect(await coin.isRevenueExcluded(bob.address)).to.equal(false);
      expect(await coin.eligibleSupply()).to.equal(COINS(200));
      await distributor.connect(admin).deposit(coinAddress, USDC(200)); // alice 60, bob 140
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(USDC(90));
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(USDC(150));
      await distributor.connect(bob).claim([coinAddress]);
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(0n);
    });

    it("is only for DEFAULT_ADMIN_ROLE and registered coins", async function () {
      const { distributor, admin, other, coinAddress } = await loadFixture(fixture);
      await expect(distributor.connect(other).setExcluded(coinAddress, other.address, true))
        .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, ZeroHash);
      await expect(distributor.connect(admin).setExcluded(other.address, other.address, true))
        .to.be.revertedWithCustomError(distributor, "RevenueDistributorUnknownCoin")
        .withArgs(other.address);
    });
  });
});
