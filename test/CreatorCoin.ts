import { expect } from "chai";
import { network } from "hardhat";
import { MaxUint256, ZeroAddress, parseEther } from "ethers";
import {
  COINS,
  COIN_SUPPLY,
  CREATOR_ALLOCATION,
  LAUNCH_THRESHOLD,
  MARKET_AMOUNT,
  USDC,
  VESTING_DURATION,
  deployWithCoin,
} from "./helpers/coin/fixtures.js";
import {
  AccumulatorOverflow,
  CoinRevenueModel,
  REVENUE_UNLOCK_TIME as T,
  UNIT,
  readRevenueState,
  unlock,
  unlocked,
} from "./helpers/coin/revenue.js";
import { signPermit } from "./helpers/permit.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const fixture = () => deployWithCoin(connection);

/** Shares of the supply that split every unlock exactly: alice 60 %, bob 20 %, the market and the escrow 10 % each. */
const ALICE_COINS = (COIN_SUPPLY * 6n) / 10n;
const BOB_COINS = (COIN_SUPPLY * 2n) / 10n;

/** An account that can send transactions as `address` (a contract, here). */
async function impersonate(address: string) {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, parseEther("1"));
  return ethers.getSigner(address);
}

/** Pins the next block's timestamp (the next transaction's, or a "pending" view's), so unlocked amounts are exact. */
async function at(timestamp: bigint) {
  await time.setNextBlockTimestamp(timestamp);
  return timestamp;
}

/** One second after the latest block: the earliest timestamp the next transaction can have. */
async function nextSecond() {
  return BigInt(await time.latest()) + 1n;
}

/** `deployWithCoin` with alice and bob holding ALICE_COINS and BOB_COINS, and a depositor (admin) with max approval. */
async function sharesFixture() {
  const fx = await deployWithCoin(connection);
  const coinAddress = await fx.coin.getAddress();
  await fx.dex.sendCoins(coinAddress, fx.alice.address, ALICE_COINS);
  await fx.dex.sendCoins(coinAddress, fx.bob.address, BOB_COINS);
  await fx.usdc.mint(fx.admin.address, USDC(1_000_000));
  await fx.usdc.connect(fx.admin).approve(coinAddress, MaxUint256);
  return { ...fx, coinAddress, dexAddress: await fx.dex.getAddress() };
}

/** A fresh model of the coin in `sharesFixture` (nothing locked yet, so the transfers' times do not matter). */
function sharesModel(fx: Awaited<ReturnType<typeof sharesFixture>>) {
  const model = new CoinRevenueModel(fx.dexAddress, fx.coinAddress, MARKET_AMOUNT, CREATOR_ALLOCATION, fx.launchedAt);
  model.transfer(fx.dexAddress, fx.alice.address, ALICE_COINS, fx.launchedAt);
  model.transfer(fx.dexAddress, fx.bob.address, BOB_COINS, fx.launchedAt);
  return model;
}

describe("CreatorCoin", function () {
  describe("launch state", function () {
    it("has the clone's name and symbol, 18 decimals and the fixed supply split between DEX and escrow", async function () {
      const { coin, dex, creator, launchedAt } = await loadFixture(fixture);
      expect(await coin.name()).to.equal("Alice Coin");
      expect(await coin.symbol()).to.equal("ALC");
      expect(await coin.decimals()).to.equal(18n);
      expect(await coin.totalSupply()).to.equal(COIN_SUPPLY);
      expect(await coin.balanceOf(await dex.getAddress())).to.equal(MARKET_AMOUNT);
      expect(await coin.balanceOf(await coin.getAddress())).to.equal(CREATOR_ALLOCATION);
      expect(await coin.creator()).to.equal(creator.address);
      expect(await coin.launchedAt()).to.equal(BigInt(await time.latest()));
      expect(launchedAt).to.be.greaterThan(0n);
      expect(await coin.vestingDuration()).to.equal(VESTING_DURATION);
      expect(await coin.creatorAllocation()).to.equal(CREATOR_ALLOCATION);
    });

    it("mints with Transfer events from the zero address in the launch transaction", async function () {
      const { factory, plays, dex, other } = await loadFixture(fixture);
      await plays.setCreatorPlays(other.address, LAUNCH_THRESHOLD);
      const predicted = await factory.predictCoinAddress(other.address);
      const coin = await ethers.getContractAt("CreatorCoin", predicted);
      const tx = factory.connect(other).launchCoin("Other", "OTH");
      await expect(tx).to.emit(coin, "Transfer").withArgs(ZeroAddress, await dex.getAddress(), MARKET_AMOUNT);
      await expect(tx).to.emit(coin, "Transfer").withArgs(ZeroAddress, predicted, CREATOR_ALLOCATION);
    });

    it("makes the whole supply eligible from launch: the market and the escrow earn like any holder", async function () {
      const { coin, dex, alice, launchedAt } = await loadFixture(fixture);
      expect(await coin.isRevenueExcluded(await dex.getAddress())).to.equal(false);
      expect(await coin.isRevenueExcluded(await coin.getAddress())).to.equal(false);
      expect(await coin.isRevenueExcluded(alice.address)).to.equal(false);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY);
      expect([...(await coin.revenueState())]).to.deep.equal([0n, COIN_SUPPLY / UNIT, launchedAt, 0n]);
      expect(await coin.revenuePerToken()).to.equal(0n);
      expect(await coin.undistributedRevenue()).to.equal(0n);
      expect(await coin.pendingMarketRevenue()).to.equal(0n);
      expect(await coin.MIN_ELIGIBLE_SUPPLY()).to.equal(COINS(1));
      expect(await coin.REVENUE_UNLOCK_TIME()).to.equal(7n * 24n * 60n * 60n);
    });

    it("counts the eligible supply in units of 1e9 rounded up: a supply one unit past a multiple counts a whole unit more", async function () {
      const { factory, plays, admin, other } = await loadFixture(fixture);
      await factory.connect(admin).setCoinSupply(COIN_SUPPLY + 1n);
      await plays.setCreatorPlays(other.address, LAUNCH_THRESHOLD);
      await factory.connect(other).launchCoin("Other", "OTH");
      const coin = await ethers.getContractAt("CreatorCoin", await factory.coinOf(other.address));
      expect(await coin.totalSupply()).to.equal(COIN_SUPPLY + 1n);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY + UNIT);
      expect((await coin.revenueState()).eligibleUnits).to.equal(COIN_SUPPLY / UNIT + 1n);
    });

    it("shares FACTORY, DEX, DISTRIBUTOR and USDC with its implementation", async function () {
      const { coin, implementation, factory, dex, distributor, usdc } = await loadFixture(fixture);
      for (const c of [coin, implementation]) {
        expect(await c.FACTORY()).to.equal(await factory.getAddress());
        expect(await c.DEX()).to.equal(await dex.getAddress());
        expect(await c.DISTRIBUTOR()).to.equal(await distributor.getAddress());
        expect(await c.USDC()).to.equal(await usdc.getAddress());
      }
    });
  });

  describe("initialize", function () {
    it("reverts for anyone but the factory", async function () {
      const { coin, other } = await loadFixture(fixture);
      await expect(coin.connect(other).initialize("X", "X", other.address, 1n, 1n, 1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
    });

    it("reverts when called a second time", async function () {
      const { coin, factory, other } = await loadFixture(fixture);
      const asFactory = await impersonate(await factory.getAddress());
      await expect(
        coin.connect(asFactory).initialize("X", "X", other.address, 1n, 1n, 1n),
      ).to.be.revertedWithCustomError(coin, "CreatorCoinAlreadyInitialized");
    });

    it("reverts when the supply does not fit 96 bits", async function () {
      const { implementation, factory, other } = await loadFixture(fixture);
      const asFactory = await impersonate(await factory.getAddress());
      const tooMuch = 2n ** 96n;
      await expect(implementation.connect(asFactory).initialize("X", "X", other.address, tooMuch, 0n, 1n))
        .to.be.revertedWithCustomError(implementation, "CreatorCoinValueOverflow")
        .withArgs(tooMuch);
    });
  });

  describe("ERC-20", function () {
    it("transfers and transfersFrom with allowance", async function () {
      const { coin, dex, alice, bob, carol } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(100));
      await expect(coin.connect(alice).transfer(bob.address, COINS(40)))
        .to.emit(coin, "Transfer")
        .withArgs(alice.address, bob.address, COINS(40));
      await coin.connect(bob).approve(carol.address, COINS(10));
      await coin.connect(carol).transferFrom(bob.address, carol.address, COINS(10));
      expect(await coin.balanceOf(alice.address)).to.equal(COINS(60));
      expect(await coin.balanceOf(bob.address)).to.equal(COINS(30));
      expect(await coin.balanceOf(carol.address)).to.equal(COINS(10));
      expect(await coin.allowance(bob.address, carol.address)).to.equal(0n);
    });

    it("reverts a transfer above the balance", async function () {
      const { coin, dex, alice, bob } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(1));
      await expect(coin.connect(alice).transfer(bob.address, COINS(2)))
        .to.be.revertedWithCustomError(coin, "ERC20InsufficientBalance")
        .withArgs(alice.address, COINS(1), COINS(2));
    });

    it("reverts a transfer to the coin itself (it would be lost in the escrow)", async function () {
      const { coin, dex, alice } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(1));
      await expect(coin.connect(alice).transfer(await coin.getAddress(), 1n))
        .to.be.revertedWithCustomError(coin, "ERC20InvalidReceiver")
        .withArgs(await coin.getAddress());
    });

    it("reverts a transfer to the factory or the distributor (they could never claim its revenue)", async function () {
      const { coin, dex, factory, distributor, alice, bob } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(2));
      await coin.connect(alice).approve(bob.address, COINS(2));
      for (const receiver of [await factory.getAddress(), await distributor.getAddress()]) {
        await expect(coin.connect(alice).transfer(receiver, 1n))
          .to.be.revertedWithCustomError(coin, "ERC20InvalidReceiver")
          .withArgs(receiver);
        await expect(coin.connect(bob).transferFrom(alice.address, receiver, 1n))
          .to.be.revertedWithCustomError(coin, "ERC20InvalidReceiver")
          .withArgs(receiver);
      }
      expect(await coin.balanceOf(alice.address)).to.equal(COINS(2));
    });

    it("keeps balances on a transfer to oneself", async function () {
      const { coin, dex, alice } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(5));
      await expect(coin.connect(alice).transfer(alice.address, COINS(5)))
        .to.emit(coin, "Transfer")
        .withArgs(alice.address, alice.address, COINS(5));
      expect(await coin.balanceOf(alice.address)).to.equal(COINS(5));
      await expect(coin.connect(alice).transfer(alice.address, COINS(6))).to.be.revertedWithCustomError(
        coin,
        "ERC20InsufficientBalance",
      );
    });
  });

  describe("permit (EIP-2612 on a clone)", function () {
    async function permitFromAlice(fx: Awaited<ReturnType<typeof fixture>>, coinAddress: string, value: bigint, deadline: bigint) {
      const { alice, bob } = fx;
      const coin = await ethers.getContractAt("CreatorCoin", coinAddress);
      const { chainId } = await ethers.provider.getNetwork();
      const nonce = await coin.nonces(alice.address);
      return signPermit(alice, { name: "CreatorCoin", token: coinAddress, chainId, nonce, spender: bob.address, value, deadline });
    }

    it("answers EIP-5267 with the domain name CreatorCoin and the clone as verifying contract", async function () {
      const { coin } = await loadFixture(fixture);
      const domain = await coin.eip712Domain();
      expect(domain.name).to.equal("CreatorCoin");
      expect(domain.version).to.equal("1");
      expect(domain.verifyingContract).to.equal(await coin.getAddress());
    });

    it("sets an allowance from a real signature and bumps the nonce", async function () {
      const fx = await loadFixture(fixture);
      const { coin, alice, bob } = fx;
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await permitFromAlice(fx, await coin.getAddress(), COINS(7), deadline);
      await expect(coin.permit(alice.address, bob.address, COINS(7), deadline, sig.v, sig.r, sig.s))
        .to.emit(coin, "Approval")
        .withArgs(alice.address, bob.address, COINS(7));
      expect(await coin.allowance(alice.address, bob.address)).to.equal(COINS(7));
      expect(await coin.nonces(alice.address)).to.equal(1n);
    });

    it("rejects a permit signed for another coin (no replay across clones)", async function () {
      const fx = await loadFixture(fixture);
      const { coin, factory, plays, other, alice, bob } = fx;
      await plays.setCreatorPlays(other.address, LAUNCH_THRESHOLD);
      await factory.connect(other).launchCoin("Other", "OTH");
      const otherCoin = await factory.coinOf(other.address);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await permitFromAlice(fx, otherCoin, COINS(7), deadline);
      await expect(coin.permit(alice.address, bob.address, COINS(7), deadline, sig.v, sig.r, sig.s)).to.be.revertedWithCustomError(
        coin,
        "ERC2612InvalidSigner",
      );
    });
  });

  describe("vesting", function () {
    it("vests linearly from launch and completes at the end", async function () {
      const { coin, launchedAt } = await loadFixture(fixture);
      expect(await coin.vestedAmount(launchedAt)).to.equal(0n);
      expect(await coin.vestedAmount(launchedAt - 1n)).to.equal(0n);
      expect(await coin.vestedAmount(launchedAt + VESTING_DURATION / 4n)).to.equal(CREATOR_ALLOCATION / 4n);
      expect(await coin.vestedAmount(launchedAt + VESTING_DURATION)).to.equal(CREATOR_ALLOCATION);
      expect(await coin.vestedAmount(launchedAt + 10n * VESTING_DURATION)).to.equal(CREATOR_ALLOCATION);
    });

    it("reverts a release when nothing more has vested", async function () {
      const { coin, other, launchedAt } = await loadFixture(fixture);
      await time.increaseTo(launchedAt + VESTING_DURATION);
      await coin.releaseVested();
      await expect(coin.connect(other).releaseVested()).to.be.revertedWithCustomError(
        coin,
        "CreatorCoinNothingToRelease",
      );
    });

    it("lets anyone release what vested to the creator, then the rest after the duration", async function () {
      const { coin, creator, other, launchedAt } = await loadFixture(fixture);
      const half = launchedAt + VESTING_DURATION / 2n;
      await time.setNextBlockTimestamp(half);
      const expected = CREATOR_ALLOCATION / 2n;
      const tx = coin.connect(other).releaseVested();
      await expect(tx).to.emit(coin, "VestingReleased").withArgs(creator.address, expected);
      await expect(tx).to.emit(coin, "Transfer").withArgs(await coin.getAddress(), creator.address, expected);
      expect(await coin.released()).to.equal(expected);
      expect(await coin.balanceOf(creator.address)).to.equal(expected);
      expect(await coin.releasable()).to.equal(0n); // in the same block as the release

      await time.increaseTo(launchedAt + VESTING_DURATION + 1n);
      expect(await coin.releasable()).to.equal(CREATOR_ALLOCATION - expected);
      await coin.releaseVested();
      expect(await coin.balanceOf(creator.address)).to.equal(CREATOR_ALLOCATION);
      expect(await coin.balanceOf(await coin.getAddress())).to.equal(0n);
    });

    it("keeps the whole supply eligible when vested coins move to the creator, and records the release with the DEX", async function () {
      const { coin, dex, creator, launchedAt } = await loadFixture(fixture);
      await at(launchedAt + VESTING_DURATION);
      await expect(coin.releaseVested()).to.emit(coin, "VestingReleased").withArgs(creator.address, CREATOR_ALLOCATION);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY);
      expect(await coin.isRevenueExcluded(creator.address)).to.equal(false);
      expect(await dex.creatorReleased(await coin.getAddress())).to.equal(CREATOR_ALLOCATION);
    });

    it("releaseVested moves the revenue the escrow earned to the creator's claimable revenue", async function () {
      const fx = await loadFixture(sharesFixture);
      const { coin, dex, usdc, admin, creator, coinAddress, launchedAt } = fx;
      const model = sharesModel(fx);
      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(USDC(1_000));
      model.deposit(USDC(1_000), t0);

      // After T untouched half has unlocked: the escrow's 10 % earned 50 USDC, which follows the creator.
      const t1 = await at(t0 + T);
      expect(await coin.claimableRevenue(coinAddress, { blockTag: "pending" })).to.equal(USDC(50));
      const vested = (CREATOR_ALLOCATION * (t1 - launchedAt)) / VESTING_DURATION;
      await expect(coin.releaseVested()).to.emit(coin, "VestingReleased").withArgs(creator.address, vested);
      model.release(creator.address, vested, t1);
      expect(await coin.claimableRevenue(creator.address)).to.equal(USDC(50));
      expect(await coin.claimableRevenue(coinAddress)).to.equal(0n);
      expect(await dex.creatorReleased(coinAddress)).to.equal(vested);

      // Later the released coins earn for the creator, and the escrow's new earnings follow at the next release.
      const t2 = await at(t1 + T);
      const vestedLater = (CREATOR_ALLOCATION * (t2 - launchedAt)) / VESTING_DURATION - vested;
      await coin.releaseVested();
      model.release(creator.address, vestedLater, t2);
      expect(await coin.claimableRevenue(coinAddress)).to.equal(0n);
      const owed = model.claimable(creator.address, t2);
      expect(owed).to.be.greaterThan(USDC(50));
      expect(await coin.claimableRevenue(creator.address)).to.equal(owed);
      const t3 = await at(t2 + 1n);
      const paid = model.claim(creator.address, t3);
      await expect(coin.connect(creator).claimRevenue()).to.changeTokenBalance(ethers, usdc, creator, paid);
    });
  });

  describe("direct revenue (depositRevenue, claimRevenue)", function () {
    /** A coin nobody but the market and the escrow holds yet, and a depositor with max approval. */
    async function launchDepositorFixture() {
      const fx = await deployWithCoin(connection);
      const coinAddress = await fx.coin.getAddress();
      await fx.usdc.mint(fx.admin.address, USDC(100));
      await fx.usdc.connect(fx.admin).approve(coinAddress, MaxUint256);
      return { ...fx, coinAddress, dexAddress: await fx.dex.getAddress() };
    }

    it("depositRevenue pulls USDC into the coin and locks it: nothing is claimable in its block, half unlocks pro rata over REVENUE_UNLOCK_TIME", async function () {
      const { coin, usdc, admin, alice, bob, coinAddress } = await loadFixture(sharesFixture);
      const t0 = await at(await nextSecond());
      const tx = coin.connect(admin).depositRevenue(USDC(1_000));
      await expect(tx).to.emit(coin, "RevenueDeposited").withArgs(admin.address, USDC(1_000));
      await expect(tx).to.emit(usdc, "Transfer").withArgs(admin.address, coinAddress, USDC(1_000));
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(1_000));
      const stored = [0n, COIN_SUPPLY / UNIT, t0, USDC(1_000)];
      expect([...(await coin.revenueState())]).to.deep.equal(stored);
      expect(await coin.undistributedRevenue()).to.equal(USDC(1_000));
      expect(await coin.revenuePerToken()).to.equal(0n);
      expect(await coin.claimableRevenue(alice.address)).to.equal(0n);

      await time.increaseTo(t0 + T);
      // locked · T / (T + T) unlocked; over 1e18 units one USDC unit raises the accumulator by one.
      expect(await coin.undistributedRevenue()).to.equal(USDC(500));
      expect(await coin.revenuePerToken()).to.equal(USDC(500));
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(300));
      expect(await coin.claimableRevenue(bob.address)).to.equal(USDC(100));
      expect(await coin.pendingMarketRevenue()).to.equal(USDC(50));
      expect(await coin.claimableRevenue(coinAddress)).to.equal(USDC(50));
      // The views answer as of the block: nothing was stored.
      expect([...(await coin.revenueState())]).to.deep.equal(stored);
    });

    it("unlocks locked · elapsed / (elapsed + REVENUE_UNLOCK_TIME), rounded down, never faster than locked · elapsed / REVENUE_UNLOCK_TIME", async function () {
      const { coin, admin, alice } = await loadFixture(sharesFixture);
      const deposit = USDC(1_000) + 1n; // odd: half of it rounds down
      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(deposit);
      for (const elapsed of [1n, 60n, 3_600n, 86_400n, T, 2n * T, 10n * T]) {
        await time.increaseTo(t0 + elapsed);
        const released = (deposit * elapsed) / (elapsed + T);
        expect(unlocked(deposit, elapsed)).to.equal(released);
        expect(released * T).to.be.lessThanOrEqual(deposit * elapsed);
        expect(await coin.undistributedRevenue()).to.equal(deposit - released);
        expect(await coin.revenuePerToken()).to.equal(released);
        expect(await coin.claimableRevenue(alice.address)).to.equal((released * 6n) / 10n);
      }
      // After exactly REVENUE_UNLOCK_TIME: 1,000,000,001 · T / 2T = 500,000,000 (the odd unit stays locked).
      expect(unlocked(deposit, T)).to.equal(500_000_000n);
    });

    it("depositRevenue made before anyone bought is the market's and the escrow's: a later holder earns only what unlocks after it arrives", async function () {
      const { coin, dex, admin, alice, coinAddress, dexAddress, launchedAt } = await loadFixture(launchDepositorFixture);
      const model = new CoinRevenueModel(dexAddress, coinAddress, MARKET_AMOUNT, CREATOR_ALLOCATION, launchedAt);
      const t0 = await at(await nextSecond());
      await expect(coin.connect(admin).depositRevenue(USDC(100)))
        .to.emit(coin, "RevenueDeposited")
        .withArgs(admin.address, USDC(100));
      model.deposit(USDC(100), t0);
      await time.increaseTo(t0 + T);
      // Nothing waits for a first buyer: the market's 90 % and the escrow's 10 % of what unlocked.
      expect(await coin.pendingMarketRevenue()).to.equal(USDC(45));
      expect(await coin.claimableRevenue(coinAddress)).to.equal(USDC(5));
      expect(await coin.undistributedRevenue()).to.equal(USDC(50));

      const arrival = await at(await nextSecond());
      await dex.sendCoins(coinAddress, alice.address, ALICE_COINS);
      model.transfer(dexAddress, alice.address, ALICE_COINS, arrival);
      expect(await coin.claimableRevenue(alice.address)).to.equal(0n);
      await time.increaseTo(t0 + 2n * T);
      const now = t0 + 2n * T;
      const owed = model.claimable(alice.address, now);
      expect(await coin.claimableRevenue(alice.address)).to.equal(owed);
      // Her 60 % of what unlocked after she arrived, not of the deposit.
      const unlockedSince = model.undistributedRevenue(arrival) - model.undistributedRevenue(now);
      expect(owed).to.be.closeTo((unlockedSince * 6n) / 10n, 1n);
      expect(await coin.pendingMarketRevenue()).to.equal(model.pendingMarketRevenue(now));
    });

    it("with less than one whole coin eligible, what unlocks goes to the market's reserve instead of waiting", async function () {
      const { coin, dex, usdc, distributor, admin, bob, creator, coinAddress, dexAddress, launchedAt } =
        await loadFixture(launchDepositorFixture);
      // Every coin leaves the market and the escrow for holders that governance then excludes.
      await dex.sendCoins(coinAddress, bob.address, MARKET_AMOUNT);
      await at(launchedAt + VESTING_DURATION);
      await coin.releaseVested();
      await distributor.connect(admin).setExcluded(coinAddress, bob.address, true);
      await distributor.connect(admin).setExcluded(coinAddress, creator.address, true);
      expect(await coin.eligibleSupply()).to.equal(0n);

      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(USDC(100));
      await time.increaseTo(t0 + T);
      expect(await coin.pendingMarketRevenue()).to.equal(USDC(50));
      expect(await coin.revenuePerToken()).to.equal(0n);
      expect(await coin.undistributedRevenue()).to.equal(USDC(50));
      expect(await coin.claimableRevenue(bob.address)).to.equal(0n);
      // The next trade collects it; the coin sends it, since the DEX holds no holder fees of this coin.
      await at(t0 + T + 1n);
      const collected = unlocked(USDC(100), T + 1n);
      await expect(dex.syncMarket(coinAddress, 0n)).to.changeTokenBalances(ethers, usdc, [coinAddress, dexAddress], [-collected, collected]);
      expect(await dex.marketRevenue(coinAddress)).to.equal(collected);
      expect(await coin.pendingMarketRevenue()).to.equal(0n);
    });

    it("depositRevenue rejects zero, a missing approval and an amount beyond 64 bits", async function () {
      const { coin, usdc, admin, other, coinAddress } = await loadFixture(sharesFixture);
      await expect(coin.connect(admin).depositRevenue(0n)).to.be.revertedWithCustomError(coin, "CreatorCoinZeroAmount");
      await usdc.mint(other.address, USDC(1));
      await expect(coin.connect(other).depositRevenue(USDC(1)))
        .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
        .withArgs(coinAddress, 0n, USDC(1));
      const tooMuch = 2n ** 64n;
      await usdc.mint(admin.address, tooMuch);
      await expect(coin.connect(admin).depositRevenue(tooMuch))
        .to.be.revertedWithCustomError(coin, "CreatorCoinValueOverflow")
        .withArgs(tooMuch);
    });

    it("claimRevenue pays the caller what unlocked to it, from the coin's USDC, emits, returns the amount and zeroes it", async function () {
      const fx = await loadFixture(sharesFixture);
      const { coin, usdc, admin, alice, bob, coinAddress } = fx;
      const model = sharesModel(fx);
      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(USDC(1_000));
      model.deposit(USDC(1_000), t0);
      // A transfer settles alice at her 300 USDC; then she holds 40 % and bob 40 %.
      await at(t0 + T);
      await coin.connect(alice).transfer(bob.address, ALICE_COINS / 3n);
      model.transfer(alice.address, bob.address, ALICE_COINS / 3n, t0 + T);
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(300));

      // At 2T, 2/3 of the deposit has unlocked (666,666,666): alice adds 40 % of the 166,666,666 since T.
      const t2 = await at(t0 + 2n * T);
      const owed = model.claim(alice.address, t2);
      expect(owed).to.equal(USDC(300) + 66_666_666n);
      expect(await coin.connect(alice).claimRevenue.staticCall({ blockTag: "pending" })).to.equal(owed);
      const tx = coin.connect(alice).claimRevenue();
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, owed);
      await expect(tx).to.emit(usdc, "Transfer").withArgs(coinAddress, alice.address, owed);
      expect(await usdc.balanceOf(alice.address)).to.equal(owed);
      expect(await coin.claimableRevenue(alice.address)).to.equal(0n);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(1_000) - owed);

      // Earnings after the claim start from zero.
      const t3 = t0 + 3n * T;
      await time.increaseTo(t3);
      const later = model.claimable(alice.address, t3);
      expect(later).to.be.greaterThan(0n);
      expect(await coin.claimableRevenue(alice.address)).to.equal(later);
      const t4 = await at(t3 + 1n);
      const bobOwed = model.claim(bob.address, t4);
      await expect(coin.connect(bob).claimRevenue()).to.emit(coin, "RevenueClaimed").withArgs(bob.address, bobOwed);
      expect(await usdc.balanceOf(bob.address)).to.equal(bobOwed);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(1_000) - owed - bobOwed);
    });

    it("claimRevenue reverts with CreatorCoinNothingToClaim without coins, before anything unlocked and once claimed", async function () {
      const fx = await loadFixture(sharesFixture);
      const { coin, admin, alice, other } = fx;
      await expect(coin.connect(other).claimRevenue())
        .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
        .withArgs(other.address);
      // Half a USDC: one second unlocks 500,000 / 604,801 units, which rounds to nothing.
      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(USDC(1) / 2n);
      await at(t0 + 1n);
      await expect(coin.connect(alice).claimRevenue())
        .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
        .withArgs(alice.address);
      // After T: 250,000 unlocked, alice's 60 %; one second later the unlocked amount still rounds to 250,000.
      await at(t0 + T);
      await expect(coin.connect(alice).claimRevenue()).to.emit(coin, "RevenueClaimed").withArgs(alice.address, 150_000n);
      expect(unlocked(USDC(1) / 2n, T + 1n)).to.equal(250_000n);
      await at(t0 + T + 1n);
      await expect(coin.connect(alice).claimRevenue())
        .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
        .withArgs(alice.address);
    });

    it("claimRevenue pays an excluded account what it earned before its exclusion, and nothing after", async function () {
      const fx = await loadFixture(sharesFixture);
      const { coin, usdc, distributor, admin, alice, bob, coinAddress } = fx;
      const model = sharesModel(fx);
      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(USDC(1_000));
      model.deposit(USDC(1_000), t0);
      const t1 = await at(t0 + T);
      await distributor.connect(admin).setExcluded(coinAddress, bob.address, true); // bob earned 100 of 500
      model.setExcluded(bob.address, true, t1);
      expect(await coin.eligibleSupply()).to.equal(COIN_SUPPLY - BOB_COINS);
      const t2 = await at(t1 + 1n);
      await coin.connect(admin).depositRevenue(USDC(1_000));
      model.deposit(USDC(1_000), t2);
      const t3 = await at(t2 + T);
      await expect(coin.connect(bob).claimRevenue()).to.emit(coin, "RevenueClaimed").withArgs(bob.address, USDC(100));
      expect(model.claim(bob.address, t3)).to.equal(USDC(100));
      expect(await usdc.balanceOf(bob.address)).to.equal(USDC(100));
      // What unlocked since went to the remaining 80 % of the supply: alice has 6/8 of it.
      expect(await coin.claimableRevenue(alice.address)).to.equal(model.claimable(alice.address, t3));
      await at(t3 + T);
      await expect(coin.connect(bob).claimRevenue())
        .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
        .withArgs(bob.address);
    });

    it("mixes with the router: a routed deposit is claimable directly and a direct one through the router", async function () {
      const fx = await loadFixture(sharesFixture);
      const { coin, usdc, distributor, admin, alice, bob, coinAddress } = fx;
      const model = sharesModel(fx);
      await usdc.connect(admin).approve(await distributor.getAddress(), MaxUint256);
      const t0 = await at(await nextSecond());
      await distributor.connect(admin).deposit(coinAddress, USDC(400));
      model.deposit(USDC(400), t0);
      await at(t0 + 1n);
      await coin.connect(admin).depositRevenue(USDC(400));
      model.deposit(USDC(400), t0 + 1n);
      const t1 = await at(t0 + T);
      const aliceOwed = model.claim(alice.address, t1);
      await expect(coin.connect(alice).claimRevenue()).to.emit(coin, "RevenueClaimed").withArgs(alice.address, aliceOwed);
      const t2 = await at(t1 + 1n);
      const bobOwed = model.claim(bob.address, t2);
      await expect(distributor.connect(bob).claim([coinAddress]))
        .to.emit(coin, "RevenueClaimed")
        .withArgs(bob.address, bobOwed);
      // Both deposits unlock together: alice's 60 % of about half of 800 USDC, bob's 20 %.
      expect(aliceOwed).to.be.closeTo(USDC(240), USDC(1));
      expect(bobOwed).to.be.closeTo(USDC(80), USDC(1));
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(800) - aliceOwed - bobOwed);
    });
  });

  describe("market fees and the market's revenue (accrueMarketFees, syncMarket, claims pulling from the DEX)", function () {
    /** sharesFixture, with 1,000 USDC in the DEX stand-in to credit as holder fees. */
    async function marketFeesFixture() {
      const fx = await sharesFixture();
      await fx.usdc.mint(fx.dexAddress, USDC(1_000));
      return fx;
    }

    it("locks a trade's holder fee like a deposit, naming the DEX, and moves no USDC", async function () {
      const { coin, dex, usdc, alice, bob, coinAddress, dexAddress } = await loadFixture(marketFeesFixture);
      const t0 = await at(await nextSecond());
      const tx = dex.creditHolderFees(coinAddress, USDC(400));
      await expect(tx).to.emit(coin, "RevenueDeposited").withArgs(dexAddress, USDC(400));
      await expect(tx).to.not.emit(usdc, "Transfer");
      expect(await coin.undistributedRevenue()).to.equal(USDC(400));
      expect(await coin.claimableRevenue(alice.address)).to.equal(0n);
      await time.increaseTo(t0 + T);
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(120));
      expect(await coin.claimableRevenue(bob.address)).to.equal(USDC(40));
      expect(await coin.pendingMarketRevenue()).to.equal(USDC(20));
      expect(await usdc.balanceOf(coinAddress)).to.equal(0n);
    });

    it("syncMarket collects exactly pendingMarketRevenue, paid out of the holder fees the DEX holds, and stores the state", async function () {
      const { coin, dex, usdc, alice, coinAddress } = await loadFixture(marketFeesFixture);
      const t0 = await at(await nextSecond());
      await dex.creditHolderFees(coinAddress, USDC(400));
      const t1 = await at(t0 + T);
      // The market's 10 % of the 200 USDC unlocked.
      expect(await coin.pendingMarketRevenue({ blockTag: "pending" })).to.equal(USDC(20));
      const tx = dex.syncMarket(coinAddress, 0n);
      await expect(tx).to.not.emit(usdc, "Transfer");
      await expect(tx).to.not.emit(coin, "RevenueDeposited");
      expect(await dex.marketRevenue(coinAddress)).to.equal(USDC(20));
      expect(await dex.holderFees(coinAddress)).to.equal(USDC(380));
      expect(await coin.pendingMarketRevenue()).to.equal(0n);
      expect([...(await coin.revenueState())]).to.deep.equal([USDC(200), COIN_SUPPLY / UNIT, t1, USDC(200)]);
      // The holders' shares are untouched.
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(120));
    });

    it("syncMarket has the coin send what the market earned beyond the held fees, and locks a buy's holder fee", async function () {
      const fx = await loadFixture(marketFeesFixture);
      const { coin, dex, usdc, admin, coinAddress, dexAddress } = fx;
      const model = sharesModel(fx);
      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(USDC(1_000));
      model.deposit(USDC(1_000), t0);
      await at(t0 + 1n);
      await dex.creditHolderFees(coinAddress, USDC(10));
      model.deposit(USDC(10), t0 + 1n);

      const t1 = await at(t0 + T);
      const revenue = model.syncMarket(USDC(7), t1);
      expect(revenue).to.be.closeTo(USDC(50), USDC(1));
      const tx = dex.syncMarket(coinAddress, USDC(7));
      await expect(tx).to.emit(coin, "RevenueDeposited").withArgs(dexAddress, USDC(7));
      // 10 USDC of it is kept from the held fees; the coin sends the rest.
      await expect(tx).to.changeTokenBalances(ethers, usdc, [coinAddress, dexAddress], [USDC(10) - revenue, revenue - USDC(10)]);
      expect(await dex.marketRevenue(coinAddress)).to.equal(revenue);
      expect(await dex.holderFees(coinAddress)).to.equal(USDC(7));
      const { accumulator, eligibleUnits, locked } = model.state;
      expect([...(await coin.revenueState())]).to.deep.equal([accumulator, eligibleUnits, t1, locked]);
    });

    it("only the DEX may credit market fees or sync the market", async function () {
      const { coin, distributor, other } = await loadFixture(fixture);
      await expect(coin.connect(other).accrueMarketFees(1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      await expect(coin.connect(other).syncMarket(0n, 0n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      const router = await impersonate(await distributor.getAddress());
      await expect(coin.connect(router).accrueMarketFees(1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(router.address);
      await expect(coin.connect(router).syncMarket(1n, 0n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(router.address);
    });

    it("claimRevenue pulls the fees from the DEX when the coin's USDC falls short, then pays", async function () {
      const fx = await loadFixture(marketFeesFixture);
      const { coin, dex, usdc, alice, bob, coinAddress, dexAddress } = fx;
      const model = sharesModel(fx);
      const t0 = await at(await nextSecond());
      await dex.creditHolderFees(coinAddress, USDC(400));
      model.deposit(USDC(400), t0);
      await at(t0 + T);
      const tx = coin.connect(alice).claimRevenue();
      await expect(tx).to.emit(dex, "HolderFeesReleased").withArgs(coinAddress, coinAddress, USDC(400));
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, USDC(120));
      await expect(tx).to.changeTokenBalances(ethers, usdc, [alice, coinAddress, dexAddress], [USDC(120), USDC(280), -USDC(400)]);
      model.claim(alice.address, t0 + T);
      expect(await dex.holderFees(coinAddress)).to.equal(0n);
      // bob is paid from what the coin now holds, without calling the DEX.
      const t1 = await at(t0 + T + 1n);
      const bobOwed = model.claim(bob.address, t1);
      expect(bobOwed).to.be.closeTo(USDC(40), 100n);
      await expect(coin.connect(bob).claimRevenue()).to.not.emit(dex, "HolderFeesReleased");
      expect(await usdc.balanceOf(bob.address)).to.equal(bobOwed);
      expect(await usdc.balanceOf(coinAddress)).to.equal(USDC(280) - bobOwed);
    });

    it("claimRevenue pays from the coin's own USDC while it suffices, leaving the fees in the DEX", async function () {
      const fx = await loadFixture(marketFeesFixture);
      const { coin, dex, usdc, admin, alice, coinAddress } = fx;
      const model = sharesModel(fx);
      const t0 = await at(await nextSecond());
      await coin.connect(admin).depositRevenue(USDC(400));
      model.deposit(USDC(400), t0);
      await at(t0 + 1n);
      await dex.creditHolderFees(coinAddress, USDC(40));
      model.deposit(USDC(40), t0 + 1n);
      const t1 = await at(t0 + 1n + T);
      const owed = model.claim(alice.address, t1);
      expect(owed).to.be.closeTo(USDC(132), USDC(1)); // 60 % of half of 440
      const tx = coin.connect(alice).claimRevenue();
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(alice.address, owed);
      await expect(tx).to.not.emit(dex, "HolderFeesReleased");
      await expect(tx).to.changeTokenBalances(ethers, usdc, [alice, coinAddress], [owed, -owed]);
      expect(await dex.holderFees(coinAddress)).to.equal(USDC(40));
    });

    it("a claim through the distributor pulls the fees too", async function () {
      const { coin, dex, distributor, alice, bob, coinAddress } = await loadFixture(marketFeesFixture);
      const t0 = await at(await nextSecond());
      await dex.creditHolderFees(coinAddress, USDC(400));
      await at(t0 + T);
      const tx = distributor.connect(bob).claim([coinAddress]);
      await expect(tx).to.emit(dex, "HolderFeesReleased").withArgs(coinAddress, coinAddress, USDC(400));
      await expect(tx).to.emit(coin, "RevenueClaimed").withArgs(bob.address, USDC(40));
      expect(await coin.claimableRevenue(alice.address)).to.equal(USDC(120));
    });
  });

  describe("revenue hooks", function () {
    it("reject every caller but the distributor", async function () {
      const { coin, other } = await loadFixture(fixture);
      await expect(coin.connect(other).accrueRevenue(other.address, 1n))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      await expect(coin.connect(other).claimRevenueFor(other.address))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
      await expect(coin.connect(other).setRevenueExcluded(other.address, true))
        .to.be.revertedWithCustomError(coin, "CreatorCoinUnauthorized")
        .withArgs(other.address);
    });

    it("refuse to change the exclusion of the DEX or the escrow", async function () {
      const { coin, dex, distributor } = await loadFixture(fixture);
      for (const account of [await dex.getAddress(), await coin.getAddress()]) {
        await expect(distributor.setExcluded(await coin.getAddress(), account, false))
          .to.be.revertedWithCustomError(coin, "CreatorCoinFixedExclusion")
          .withArgs(account);
      }
    });

    it("reject a deposit that does not fit 64 bits", async function () {
      const { coin, dex, usdc, distributor, admin, alice } = await loadFixture(fixture);
      await dex.sendCoins(await coin.getAddress(), alice.address, COINS(1));
      const amount = 2n ** 64n;
      await usdc.mint(admin.address, amount);
      await usdc.approve(await distributor.getAddress(), MaxUint256);
      await expect(distributor.deposit(await coin.getAddress(), amount))
        .to.be.revertedWithCustomError(coin, "CreatorCoinValueOverflow")
        .withArgs(amount);
    });

    it("reject an owed amount beyond 64 bits (CreatorCoinValueOverflow) and an accumulator beyond its bound (PackedRevenueOverflow)", async function () {
      const { coin, dex, usdc, distributor, admin, alice, bob, creator, launchedAt } = await loadFixture(fixture);
      const coinAddress = await coin.getAddress();
      // Only alice's one coin (the minimum eligible supply) stays eligible: every other coin leaves the market
      // and the escrow for holders that governance excludes.
      await dex.sendCoins(coinAddress, alice.address, COINS(1));
      await dex.sendCoins(coinAddress, bob.address, MARKET_AMOUNT - COINS(1));
      await at(launchedAt + VESTING_DURATION);
      await coin.releaseVested();
      await distributor.setExcluded(coinAddress, bob.address, true);
      await distributor.setExcluded(coinAddress, creator.address, true);
      expect(await coin.eligibleSupply()).to.equal(COINS(1));
      const max = 2n ** 64n - 1n;
      await usdc.mint(admin.address, 10n * max);
      await usdc.approve(await distributor.getAddress(), MaxUint256);

      // Keep the locked revenue full and let 100 unlock times pass between deposits, until the accumulator
      // (one coin eligible: 1e9 per USDC unit) would pass its bound.
      let timestamp = await nextSecond();
      let checkedOwed = false;
      for (let round = 0; ; round++) {
        expect(round).to.be.lessThan(10);
        let next;
        try {
          next = unlock(await readRevenueState(coin), timestamp).next;
        } catch (error) {
          if (!(error instanceof AccumulatorOverflow)) throw error;
          await at(timestamp);
          await expect(distributor.deposit(coinAddress, 1n))
            .to.be.revertedWithCustomError(coin, "PackedRevenueOverflow")
            .withArgs(error.value);
          break;
        }
        // alice's one coin earns every unlocked unit: once that passes 64 bits, a transfer cannot settle her.
        const owed = next.accumulator / 10n ** 9n;
        if (!checkedOwed && owed > max) {
          await at(timestamp);
          await expect(coin.connect(alice).transfer(bob.address, 1n))
            .to.be.revertedWithCustomError(coin, "CreatorCoinValueOverflow")
            .withArgs(owed);
          checkedOwed = true;
          timestamp += 1n;
          continue;
        }
        await at(timestamp);
        await distributor.deposit(coinAddress, max - next.locked);
        timestamp += 100n * T;
      }
      expect(checkedOwed).to.equal(true);
    });
  });
});
