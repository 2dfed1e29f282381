import { expect } from "chai";
import { network } from "hardhat";
import { MaxUint256, ZeroAddress, ZeroHash, id } from "ethers";
import {
  COINS,
  COIN_SUPPLY,
  CREATOR_ALLOCATION,
  LAUNCH_THRESHOLD,
  MARKET_AMOUNT,
  USDC,
  deployWithCoin,
} from "./helpers/coin/fixtures.js";
import { CoinRevenueModel, REVENUE_UNLOCK_TIME as T, UNIT } from "./helpers/coin/revenue.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const REGISTRAR_ROLE = id("REGISTRAR_ROLE");

/** Shares of the supply that split every unlock exactly: alice 60 %, bob 20 %, the market and the escrow 10 % each. */
const ALICE_COINS = (COIN_SUPPLY * 6n) / 10n;
const BOB_COINS = (COIN_SUPPLY * 2n) / 10n;

/** A launched coin, a funded depositor (admin) with max approval. */
async function fixture() {
  const fx = await deployWithCoin(connection);
  await fx.usdc.mint(fx.admin.address, USDC(1_000_000));
  await fx.usdc.connect(fx.admin).approve(await fx.distributor.getAddress(), MaxUint256);
  return { ...fx, coinAddress: await fx.coin.getAddress(), dexAddress: await fx.dex.getAddress() };
}

/** A fresh model of a coin of `fixture` as launched (revenue unlocking, see helpers/coin/revenue.ts). */
function launchModel(fx: Awaited<ReturnType<typeof fixture>>, coinAddress = fx.coinAddress, launchedAt = fx.launchedAt) {
  return new CoinRevenueModel(fx.dexAddress, coinAddress, MARKET_AMOUNT, CREATOR_ALLOCATION, launchedAt);
}

/** Pins the next block's timestamp, so that unlocked amounts are exact. */
async function at(timestamp: bigint) {
  await time.setNextBlockTimestamp(timestamp);
  return timestamp;
}

/** One second after the latest block. */
async function nextSecond() {
  return BigInt(await time.latest()) + 1n;
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
    it("moves USDC from the caller straight into the coin and locks it; the accumulator rises as it unlocks", async function () {
      const { distributor, usdc, coin, dex, admin, alice, coinAddress } = await loadFixture(fixture);
      await dex.sendCoins(coinAddress, alice.address, ALICE_COINS);
      const t0 = await at(await nextSecond());
      const tx = distributor.connect(admin).deposit(coinAddress, USDC(100));
      // The coin names the original depositor, not the router.
      await expect(tx).to.emit(coin, "RevenueDeposited").withArgs(admin.address, USDC(100));
      await expect(tx).to.emit(usdc, "Transfer").withArgs(admin.address, coinAddress, USDC(100));
      expect(await usdc.balanceOf(await distributor.getAddress())).to.equal(0n);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(100));
      expect(await coin.undistributedRevenue()).to.equal(USDC(100));
      expect(await coin.revenuePerToken()).to.equal(0n);
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(0n);
      // Half unlocks over REVENUE_UNLOCK_TIME, spread over the whole supply.
      await time.increaseTo(t0 + T);
      expect(await coin.undistributedRevenue()).to.equal(USDC(50));
      expect(await coin.revenuePerToken()).to.equal((USDC(50) * 10n ** 27n) / COIN_SUPPLY);
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(USDC(30));
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

    it("shares a deposit over the whole supply from launch: nothing waits for a first holder, and a dust holder captures nothing", async function () {
      const fx = await loadFixture(fixture);
      const { distributor, coin, dex, admin, alice, coinAddress, dexAddress } = fx;
      const model = launchModel(fx);
      const t0 = await at(await nextSecond());
      await distributor.connect(admin).deposit(coinAddress, USDC(30));
      model.deposit(USDC(30), t0);
      // Half a coin arrives right after the deposit; a second deposit follows.
      await at(t0 + 1n);
      await dex.sendCoins(coinAddress, alice.address, COINS(1) / 2n);
      model.transfer(dexAddress, alice.address, COINS(1) / 2n, t0 + 1n);
      await at(t0 + 2n);
      await distributor.connect(admin).deposit(coinAddress, USDC(10));
      model.deposit(USDC(10), t0 + 2n);

      const now = t0 + 2n * T;
      await time.increaseTo(now);
      // Half a coin in a billion earns half a billionth of what unlocks: nothing, at this size.
      expect(model.claimable(alice.address, now)).to.equal(0n);
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(0n);
      // What unlocked is the market's (its coins) and the escrow's, up to a unit of rounding each.
      const market = await coin.pendingMarketRevenue();
      const escrow = await distributor.claimable(coinAddress, coinAddress);
      expect(market).to.equal(model.pendingMarketRevenue(now));
      expect(escrow).to.equal(model.claimable(coinAddress, now));
      const released = USDC(40) - (await coin.undistributedRevenue());
      expect(market + escrow).to.be.lessThanOrEqual(released);
      expect(market + escrow).to.be.greaterThanOrEqual(released - 2n);
      expect(escrow).to.be.closeTo(released / 10n, 1n);
    });
  });

  describe("claim", function () {
    it("pays what each holder earned as it unlocked, keeping earnings across transfers", async function () {
      const fx = await loadFixture(fixture);
      const { distributor, usdc, coin, dex, admin, alice, bob, coinAddress, dexAddress } = fx;
      const model = launchModel(fx);
      await dex.sendCoins(coinAddress, alice.address, ALICE_COINS);
      await dex.sendCoins(coinAddress, bob.address, BOB_COINS);
      model.transfer(dexAddress, alice.address, ALICE_COINS, fx.launchedAt);
      model.transfer(dexAddress, bob.address, BOB_COINS, fx.launchedAt);
      const t0 = await at(await nextSecond());
      await distributor.connect(admin).deposit(coinAddress, USDC(400));
      model.deposit(USDC(400), t0);
      // After T, 200 USDC unlocked: alice's 120 are settled by her transfer, and she holds nothing after it.
      await at(t0 + T);
      await coin.connect(alice).transfer(bob.address, ALICE_COINS);
      model.transfer(alice.address, bob.address, ALICE_COINS, t0 + T);
      await at(t0 + T + 1n);
      await distributor.connect(admin).deposit(coinAddress, USDC(80));
      model.deposit(USDC(80), t0 + T + 1n);
      const t1 = t0 + 2n * T;
      await time.increaseTo(t1);
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(USDC(120));
      const bobOwed = model.claimable(bob.address, t1);
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(bobOwed);

      await at(t1 + 1n);
      await expect(distributor.connect(alice).claim([coinAddress]))
        .to.emit(coin, "RevenueClaimed")
        .withArgs(alice.address, USDC(120));
      expect(model.claim(alice.address, t1 + 1n)).to.equal(USDC(120));
      expect(await usdc.balanceOf(alice.address)).to.equal(USDC(120));
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(0n);
      const bobPaid = model.claim(bob.address, t1 + 2n);
      await at(t1 + 2n);
      await expect(distributor.connect(bob).claim([coinAddress]))
        .to.emit(usdc, "Transfer")
        .withArgs(coinAddress, bob.address, bobPaid);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(480) - USDC(120) - bobPaid);
    });

    it("claims several coins in one call, each coin paying from its own USDC", async function () {
      const fx = await loadFixture(fixture);
      const { distributor, usdc, coin, factory, plays, dex, admin, other, alice, coinAddress, dexAddress } = fx;
      await plays.setCreatorPlays(other.address, LAUNCH_THRESHOLD);
      await factory.connect(other).launchCoin("Other", "OTH");
      const second = await factory.coinOf(other.address);
      const secondCoin = await ethers.getContractAt("CreatorCoin", second);
      const [first, next] = [launchModel(fx), launchModel(fx, second, await secondCoin.launchedAt())];
      await dex.sendCoins(coinAddress, alice.address, ALICE_COINS);
      await dex.sendCoins(second, alice.address, ALICE_COINS);
      first.transfer(dexAddress, alice.address, ALICE_COINS, fx.launchedAt);
      next.transfer(dexAddress, alice.address, ALICE_COINS, fx.launchedAt);
      const t0 = await at(await nextSecond());
      await distributor.connect(admin).deposit(coinAddress, USDC(5));
      first.deposit(USDC(5), t0);
      await at(t0 + 1n);
      await distributor.connect(admin).deposit(second, USDC(7));
      next.deposit(USDC(7), t0 + 1n);

      // Custody is per coin: each coin holds exactly its own deposits.
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(5));
      expect(await usdc.balanceOf(second)).to.equal(USDC(7));

      // At T after the second deposit: alice's 60 % of half of it, and of a little more than half of the first.
      const t1 = await at(t0 + 1n + T);
      const [fromFirst, fromSecond] = [first.claim(alice.address, t1), next.claim(alice.address, t1)];
      expect(fromSecond).to.equal(2_100_000n);
      expect(fromFirst).to.equal(1_500_001n);
      expect(await distributor.connect(alice).claim.staticCall([coinAddress, second], { blockTag: "pending" })).to.equal(
        fromFirst + fromSecond,
      );
      const tx = distributor.connect(alice).claim([coinAddress, second]);
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, fromFirst);
      await expect(tx).to.emit(secondCoin, "RevenueClaimed").withArgs(alice.address, fromSecond);
      await expect(tx).to.emit(usdc, "Transfer").withArgs(coinAddress, alice.address, fromFirst);
      await expect(tx).to.emit(usdc, "Transfer").withArgs(second, alice.address, fromSecond);
      expect(await usdc.balanceOf(alice.address)).to.equal(fromFirst + fromSecond);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(5) - fromFirst);
      expect(await usdc.balanceOf(second)).to.equal(USDC(7) - fromSecond);
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
      const fx = await loadFixture(fixture);
      const { distributor, coin, dex, admin, alice, bob, coinAddress, dexAddress } = fx;
      const model = launchModel(fx);
      await dex.sendCoins(coinAddress, alice.address, ALICE_COINS);
      await dex.sendCoins(coinAddress, bob.address, BOB_COINS);
      model.transfer(dexAddress, alice.address, ALICE_COINS, fx.launchedAt);
      model.transfer(dexAddress, bob.address, BOB_COINS, fx.launchedAt);
      const t0 = await at(await nextSecond());
      await distributor.connect(admin).deposit(coinAddress, USDC(1_000));
      model.deposit(USDC(1_000), t0);

      // At T, 500 USDC unlocked: bob keeps his 100 and earns nothing more.
      await at(t0 + T);
      await expect(distributor.connect(admin).setExcluded(coinAddress, bob.address, true))
        .to.emit(distributor, "RevenueExclusionSet")
        .withArgs(coinAddress, bob.address, true);
      model.setExcluded(bob.address, true, t0 + T);
      expect(await coin.isRevenueExcluded(bob.address)).to.equal(true);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY - BOB_COINS);
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(USDC(100));
      await at(t0 + T + 1n);
      await distributor.connect(admin).deposit(coinAddress, USDC(1_000));
      model.deposit(USDC(1_000), t0 + T + 1n);
      await time.increaseTo(t0 + 2n * T);
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(USDC(100));
      expect(await distributor.claimable(coinAddress, alice.address)).to.equal(model.claimable(alice.address, t0 + 2n * T));

      // Coins moving between included and excluded holders move the eligible supply, counted in units of 1e9
      // rounded up: leaving coins take their whole units away, entering coins bring their units rounded up.
      const moved = COINS(50) + 1n;
      let timestamp = await at(await nextSecond());
      await coin.connect(alice).transfer(bob.address, moved);
      model.transfer(alice.address, bob.address, moved, timestamp);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY - BOB_COINS - COINS(50));
      timestamp = await at(timestamp + 1n);
      await coin.connect(bob).transfer(alice.address, 1n);
      model.transfer(bob.address, alice.address, 1n, timestamp);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY - BOB_COINS - COINS(50) + UNIT);
      // Setting the same state again changes nothing.
      await distributor.connect(admin).setExcluded(coinAddress, bob.address, true);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY - BOB_COINS - COINS(50) + UNIT);
      expect(model.eligibleSupply()).to.equal(await coin.eligibleSupply());
      expect(await distributor.claimable(coinAddress, bob.address)).to.equal(USDC(100));

      timestamp = await at(await nextSecond());
      await distributor.connect(admin).setExcluded(coinAddress, bob.address, false);
      model.setExcluded(bob.address, false, timestamp);
      expect(await coin.isRevenueExcluded(bob.address)).to.equal(false);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY + UNIT);
      timestamp = await at(timestamp + 1n);
      await distributor.connect(admin).deposit(coinAddress, USDC(200));
      model.deposit(USDC(200), timestamp);
      timestamp += T;
      await time.increaseTo(timestamp);
      for (const holder of [alice, bob]) {
        expect(await distributor.claimable(coinAddress, holder.address)).to.equal(model.claimable(holder.address, timestamp));
      }
      // Back in: bob earns again on everything he holds.
      expect(await distributor.claimable(coinAddress, bob.address)).to.be.greaterThan(USDC(100));
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
