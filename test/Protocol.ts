import { expect } from "chai";
import { network } from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { ethers as E } from "ethers";
import type { CreatorCoin, MockUSDC, MusicDEX } from "../types/ethers-contracts/index.js";
import { CoinRevenueModel, REVENUE_UNLOCK_TIME as T } from "./helpers/coin/revenue.js";
import { backedVirtualUsdc, buyOut, sellOut, split } from "./helpers/dex/curve.js";
import { packDeltas } from "./helpers/nft/deltas.js";
import { PLAY_LEAF_ENCODING, musicNFTDomain, playLeafValues, signPlay, type SignedPlay } from "./helpers/nft/plays.js";
import { packSignatures, signVoucher, vaultDomain } from "./helpers/vault/vouchers.js";
import { deployProtocol } from "./helpers/protocol.js";
import { GAS_MARGIN_PERCENT, withGasMargin } from "../relayer/src/chain/gas.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const USDC = (n: number) => BigInt(n) * 1_000_000n;
const FAR = 2n ** 40n;

type Signer = Awaited<ReturnType<typeof ethers.getSigners>>[number];

/** The protocol exactly as the Ignition module deploys and wires it, with a creator's track minted. */
async function protocolWithTrack() {
  const contracts = await deployProtocol(connection);
  const [admin, relayer, creator, fanA, fanB, listener, platform] = await ethers.getSigners();
  const { usdc, musicNFT, dex, distributor, vault } = contracts;
  await musicNFT.connect(creator).mintTrack(`ipfs://${CID}`, creator.address, 500);
  for (const who of [fanA, fanB, listener, platform]) {
    await usdc.mint(who.address, USDC(100_000));
    for (const spender of [dex, distributor, vault]) await usdc.connect(who).approve(await spender.getAddress(), E.MaxUint256);
  }
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { ...contracts, admin, relayer, creator, fanA, fanB, listener, platform, chainId };
}

/** protocolWithTrack with the creator's coin launched (plays committed past the threshold); the fans approved it. */
async function protocolWithCoin() {
  const fx = await protocolWithTrack();
  const { musicNFT, factory, dex, relayer, creator, fanA, fanB } = fx;
  await musicNFT.connect(relayer).commitPlays(1n, E.id("root"), CID, packDeltas([{ trackId: 1n, delta: await factory.launchThreshold() }]));
  await factory.connect(creator).launchCoin("Nova", "NOVA");
  const coinAddress = await factory.coinOf(creator.address);
  const coin = await ethers.getContractAt("CreatorCoin", coinAddress);
  const dexAddress = await dex.getAddress();
  for (const who of [fanA, fanB, creator]) await coin.connect(who).approve(dexAddress, E.MaxUint256);
  return { ...fx, coin, coinAddress, dexAddress, launchedAt: await coin.launchedAt(), supply: await coin.totalSupply() };
}

/** A launched coin and the contracts it trades on. */
interface LaunchedCoin {
  dex: MusicDEX;
  coin: CreatorCoin;
  usdc: MockUSDC;
  dexAddress: string;
  coinAddress: string;
  supply: bigint;
  launchedAt: bigint;
}

/** A fresh revenue model of a coin just launched, and a trader that checks every trade against it and the curve. */
function tradesOn(fx: LaunchedCoin) {
  const creatorAllocation = fx.supply / 10n;
  const model = new CoinRevenueModel(fx.dexAddress, fx.coinAddress, fx.supply - creatorAllocation, creatorAllocation, fx.launchedAt);
  return { model, trades: new Trades(fx.dex, fx.coin, fx.usdc, model) };
}

/**
 * Trades on the real DEX and coin at pinned timestamps. Each trade is checked exactly against the curve model
 * (test/helpers/dex/curve.ts), with the market's revenue from the coin model (test/helpers/coin/revenue.ts) added
 * to the reserve before pricing, and its quote (as of the trade's block) against the swap; then it is replayed
 * on the coin model.
 */
class Trades {
  constructor(
    private readonly dex: MusicDEX,
    private readonly coin: CreatorCoin,
    private readonly usdc: MockUSDC,
    readonly model: CoinRevenueModel,
  ) {}

  /** Buys with `usdcIn` at `timestamp`; returns the coins bought, the fee and the market revenue collected. */
  async buy(buyer: Signer, usdcIn: bigint, timestamp: bigint) {
    const [coin, dexAddress] = [await this.coin.getAddress(), await this.dex.getAddress()];
    await time.setNextBlockTimestamp(timestamp);
    const m = await this.dex.market(coin);
    const revenue = this.model.pendingMarketRevenue(timestamp);
    expect(await this.coin.pendingMarketRevenue({ blockTag: "pending" })).to.equal(revenue);
    const usdcReserve = m.usdcReserve + revenue;
    const expected = buyOut(m.virtualUsdc + usdcReserve, m.coinReserve, usdcIn);
    expect(expected.coins).to.be.greaterThan(0n);
    expect([...(await this.dex.quoteBuy(coin, usdcIn, { blockTag: "pending" }))]).to.deep.equal([expected.coins, expected.fee]);
    await expect(this.dex.connect(buyer).buy(coin, usdcIn, expected.coins, buyer.address, FAR))
      .to.emit(this.dex, "Swapped")
      .withArgs(coin, buyer.address, buyer.address, true, usdcIn, expected.coins, expected.fee, usdcReserve + expected.net, m.coinReserve - expected.coins);
    const holderFee = split(expected.fee).holders;
    await this.checkMarket(m, revenue, holderFee, m.outstanding + expected.coins);
    expect(this.model.syncMarket(holderFee, timestamp)).to.equal(revenue);
    this.model.transfer(dexAddress, buyer.address, expected.coins, timestamp);
    return { coins: expected.coins, fee: expected.fee, revenue };
  }

  /** Sells `coinsIn` at `timestamp`, priced on the backed curve; returns the USDC paid, the fee and the market revenue collected. */
  async sell(seller: Signer, coinsIn: bigint, timestamp: bigint) {
    const [coin, dexAddress] = [await this.coin.getAddress(), await this.dex.getAddress()];
    await time.setNextBlockTimestamp(timestamp);
    const m = await this.dex.market(coin);
    const revenue = this.model.pendingMarketRevenue(timestamp);
    const usdcReserve = m.usdcReserve + revenue;
    const backed = backedVirtualUsdc(m.virtualUsdc, usdcReserve, m.coinReserve, m.outstanding);
    expect(await this.dex.sellVirtualUsdc(coin, { blockTag: "pending" })).to.equal(backed);
    const expected = sellOut(backed + usdcReserve, m.coinReserve, coinsIn);
    expect(expected.usdc).to.be.greaterThan(0n);
    expect([...(await this.dex.quoteSell(coin, coinsIn, { blockTag: "pending" }))]).to.deep.equal([expected.usdc, expected.fee]);
    await expect(this.dex.connect(seller).sell(coin, coinsIn, expected.usdc, seller.address, FAR))
      .to.emit(this.dex, "Swapped")
      .withArgs(coin, seller.address, seller.address, false, expected.usdc, coinsIn, expected.fee, usdcReserve - expected.gross, m.coinReserve + coinsIn);
    const holderFee = split(expected.fee).holders;
    await this.checkMarket(m, revenue, holderFee, m.outstanding - coinsIn);
    expect(this.model.syncMarket(0n, timestamp)).to.equal(revenue);
    this.model.transfer(seller.address, dexAddress, coinsIn, timestamp);
    this.model.deposit(holderFee, timestamp);
    return { usdc: expected.usdc, fee: expected.fee, revenue };
  }

  /** The market after a trade: the revenue was paid out of the held fees first, the new holder fee joined them. */
  private async checkMarket(before: Awaited<ReturnType<MusicDEX["market"]>>, revenue: bigint, holderFee: bigint, outstanding: bigint) {
    const dexAddress = await this.dex.getAddress();
    const after = await this.dex.market(await this.coin.getAddress());
    const kept = revenue < before.holderFees ? revenue : before.holderFees;
    expect(after.holderFees).to.equal(before.holderFees - kept + holderFee);
    expect(after.outstanding).to.equal(outstanding);
    // Invariant 1 with one market: the DEX holds exactly its reserve and the fee balances.
    expect(await this.usdc.balanceOf(dexAddress)).to.equal(
      after.usdcReserve + after.creatorFees + after.holderFees + (await this.dex.treasuryFees()),
    );
    expect(await this.coin.pendingMarketRevenue()).to.equal(0n);
  }
}

/** Pins the next block's timestamp. */
async function at(timestamp: bigint) {
  await time.setNextBlockTimestamp(timestamp);
  return timestamp;
}

describe("Protocol (every contract deployed and wired by deploy/modules/Protocol.ts)", () => {
  it("wires every role and link", async () => {
    const { musicNFT, factory, distributor, dex, vault, usdc, relayer, admin } = await loadFixture(protocolWithTrack);
    expect(await musicNFT.hasRole(await musicNFT.RELAYER_ROLE(), relayer.address)).to.equal(true);
    expect(await factory.hasRole(await factory.RELAYER_ROLE(), relayer.address)).to.equal(true);
    expect(await factory.hasRole(await factory.VERIFIER_ROLE(), admin.address)).to.equal(true);
    expect(await distributor.hasRole(await distributor.REGISTRAR_ROLE(), await factory.getAddress())).to.equal(true);
    expect(await dex.hasRole(await dex.MARKET_OPENER_ROLE(), await factory.getAddress())).to.equal(true);
    expect(await vault.hasRole(await vault.RELAYER_ROLE(), relayer.address)).to.equal(true);
    expect(await factory.MUSIC_NFT()).to.equal(await musicNFT.getAddress());
    expect(await factory.DEX()).to.equal(await dex.getAddress());
    expect(await factory.DISTRIBUTOR()).to.equal(await distributor.getAddress());
    expect(await dex.DISTRIBUTOR()).to.equal(await distributor.getAddress());
    expect(await dex.USDC()).to.equal(await usdc.getAddress());
    expect(await vault.USDC()).to.equal(await usdc.getAddress());
    // The vault pays only addresses that minted a track.
    expect(await vault.CREATOR_REGISTRY()).to.equal(await musicNFT.getAddress());
  });

  it("turns signed plays into a committed batch whose every play is provable on-chain", async () => {
    const { musicNFT, relayer, creator, fanA, fanB, chainId } = await loadFixture(protocolWithTrack);
    const domain = musicNFTDomain(chainId, await musicNFT.getAddress());
    const now = BigInt(await time.latest());
    const plays: SignedPlay[] = [];
    for (const [i, listener] of [fanA, fanB, fanA].entries()) {
      plays.push(
        await signPlay(listener, domain, {
          listener: listener.address,
          trackId: 1n,
          startedAt: now - 600n + BigInt(i * 60),
          durationSeconds: 42n,
          nonce: E.id(`play-${i}`),
        }),
      );
    }
    for (const { play, signature } of plays) {
      expect(await musicNFT.recoverPlaySigner(play, signature)).to.equal(play.listener);
    }
    const tree = StandardMerkleTree.of(plays.map(playLeafValues), PLAY_LEAF_ENCODING);
    await expect(musicNFT.connect(relayer).commitPlays(1n, tree.root, CID, packDeltas([{ trackId: 1n, delta: 3n }])))
      .to.emit(musicNFT, "PlaysCommitted");
    expect(await musicNFT.playCount(1n)).to.equal(3n);
    expect(await musicNFT.creatorPlays(creator.address)).to.equal(3n);
    for (const entry of plays) {
      const proof = tree.getProof(playLeafValues(entry));
      expect(await musicNFT.verifyPlay(1n, entry.play, E.keccak256(entry.signature), proof)).to.equal(true);
    }
    // The same batch sent again (a retried transaction) never counts twice.
    await expect(musicNFT.connect(relayer).commitPlays(1n, tree.root, CID, packDeltas([{ trackId: 1n, delta: 3n }])))
      .to.be.revertedWithCustomError(musicNFT, "MusicNFTBatchAlreadyCommitted")
      .withArgs(1n);
  });

  it("launches a creator coin past the threshold; fans trade; fees reach creator, treasury, holders, the market and the creator's escrow", async () => {
    const { musicNFT, factory, dex, distributor, usdc, relayer, creator, fanA, fanB, platform, admin } =
      await loadFixture(protocolWithTrack);
    const threshold = await factory.launchThreshold();
    await expect(factory.connect(creator).launchCoin("Nova", "NOVA"))
      .to.be.revertedWithCustomError(factory, "CreatorCoinFactoryBelowThreshold")
      .withArgs(0n, threshold);
    await musicNFT.connect(relayer).commitPlays(1n, E.id("root"), CID, packDeltas([{ trackId: 1n, delta: threshold }]));

    const predicted = await factory.predictCoinAddress(creator.address);
    await expect(factory.connect(creator).launchCoin("Nova", "NOVA")).to.emit(factory, "CreatorCoinLaunched");
    expect(await factory.coinOf(creator.address)).to.equal(predicted);
    expect(await factory.isCoin(predicted)).to.equal(true);
    expect(await distributor.isCoin(predicted)).to.equal(true);
    const coin = await ethers.getContractAt("CreatorCoin", predicted);
    const dexAddress = await dex.getAddress();
    const supply = await factory.coinSupply();
    expect(await coin.totalSupply()).to.equal(supply);
    expect(await coin.balanceOf(dexAddress)).to.equal(supply - supply / 10n);
    expect(await coin.balanceOf(predicted)).to.equal(supply / 10n); // the creator's allocation, vesting
    expect(await coin.eligibleSupply()).to.equal(supply); // the market and the escrow earn too
    const launchedAt = await coin.launchedAt();
    const { model, trades } = tradesOn({ dex, coin, usdc, dexAddress, coinAddress: predicted, supply, launchedAt });

    // Fans buy and sell; every quote equals its swap (Trades checks both against the curve model).
    let t = BigInt(await time.latest()) + 1n;
    const { coins: boughtA } = await trades.buy(fanA, USDC(1_000), t);
    expect(await coin.balanceOf(fanA.address)).to.equal(boughtA);
    await trades.buy(fanB, USDC(3_000), (t += 60n));
    await coin.connect(fanB).approve(dexAddress, E.MaxUint256);
    const half = (await coin.balanceOf(fanB.address)) / 2n;
    const before = await usdc.balanceOf(fanB.address);
    const { usdc: paid } = await trades.sell(fanB, half, (t += 60n));
    expect((await usdc.balanceOf(fanB.address)) - before).to.equal(paid);

    // Fees: the creator and the treasury claim theirs; the holders' share was locked on the coin in each trade
    // (its USDC stays in the DEX until a claim pulls it).
    const market = await dex.market(predicted);
    expect(market.holderFees).to.be.greaterThan(0n);
    expect(market.creatorFees).to.be.greaterThan(0n);
    await expect(dex.connect(creator).claimCreatorFees(predicted, creator.address)).to.changeTokenBalance(
      ethers,
      usdc,
      creator,
      market.creatorFees,
    );
    const treasuryFees = await dex.treasuryFees();
    await expect(dex.connect(admin).claimTreasuryFees(admin.address)).to.changeTokenBalance(ethers, usdc, admin, treasuryFees);
    expect(await coin.claimableRevenue(fanA.address)).to.be.lessThan(market.holderFees / 1_000n); // hardly anything unlocked yet

    // A week later about half of the fees unlocked, shared by every holder of the supply: the fans, the market's
    // coins (for its reserve) and the escrow (for the creator).
    t += T;
    await time.increaseTo(t);
    const unlockedFees = market.holderFees - (await coin.undistributedRevenue());
    expect(unlockedFees).to.be.closeTo(market.holderFees / 2n, market.holderFees / 100n);
    const shares = [
      await coin.claimableRevenue(fanA.address),
      await coin.claimableRevenue(fanB.address),
      await coin.pendingMarketRevenue(),
      await coin.claimableRevenue(predicted),
    ];
    expect(shares).to.deep.equal([
      model.claimable(fanA.address, t),
      model.claimable(fanB.address, t),
      model.pendingMarketRevenue(t),
      model.claimable(predicted, t),
    ]);
    const shared = shares.reduce((a, b) => a + b);
    expect(shared).to.be.lessThanOrEqual(unlockedFees);
    expect(shared).to.be.greaterThanOrEqual(unlockedFees - 8n); // rounding: one unit per holder per stored update
    for (const share of shares) expect(share).to.be.greaterThan(0n);

    // Platform revenue for the coin's holders unlocks the same way.
    await at((t += 1n));
    await distributor.connect(platform).deposit(predicted, USDC(500));
    model.deposit(USDC(500), t);
    t += T;
    await time.increaseTo(t);
    // The coin pays from its own USDC while it suffices, then pulls the holder fees from the DEX.
    const owedA = model.claim(fanA.address, await at((t += 1n)));
    await expect(distributor.connect(fanA).claim([predicted])).to.changeTokenBalance(ethers, usdc, fanA, owedA);
    const owedB = model.claim(fanB.address, await at((t += 1n)));
    await expect(coin.connect(fanB).claimRevenue()).to.changeTokenBalance(ethers, usdc, fanB, owedB);
    expect(owedA).to.be.greaterThan(0n);
    expect(owedB).to.be.greaterThan(0n);

    // The market's share joins its reserve at the next trade, before pricing.
    const pending = await coin.pendingMarketRevenue();
    expect(pending).to.be.greaterThan(0n);
    const reserve = (await dex.market(predicted)).usdcReserve;
    const { revenue, fee } = await trades.buy(fanA, USDC(100), (t += 1n));
    expect(revenue).to.be.greaterThanOrEqual(pending);
    expect((await dex.market(predicted)).usdcReserve).to.equal(reserve + revenue + USDC(100) - fee);

    // The creator's allocation vests linearly and cannot be dumped at launch; each release also pays the creator
    // what the escrow earned, and tells the DEX that the coins entered circulation.
    const release = await at(launchedAt + 365n * 24n * 3600n / 2n);
    const vested = ((supply / 10n) * (release - launchedAt)) / (365n * 24n * 3600n);
    const escrowEarned = model.claimable(predicted, release);
    expect(escrowEarned).to.be.greaterThan(0n);
    const outstanding = (await dex.market(predicted)).outstanding;
    const tx = coin.releaseVested();
    await expect(tx).to.emit(coin, "VestingReleased").withArgs(creator.address, vested);
    await expect(tx).to.emit(dex, "CreatorCoinsReleased").withArgs(predicted, vested, outstanding + vested);
    model.release(creator.address, vested, release);
    expect(await coin.balanceOf(creator.address)).to.be.closeTo(supply / 20n, supply / 10_000n);
    expect(await coin.claimableRevenue(creator.address)).to.equal(escrowEarned);
    await expect(coin.connect(creator).claimRevenue()).to.changeTokenBalance(
      ethers,
      usdc,
      creator,
      model.claim(creator.address, await at(release + 1n)),
    );
  });

  it("M-1 regression: a just-in-time holder around a big trade earns next to nothing; a long-term holder earns the fees as they unlock", async () => {
    const fx = await loadFixture(protocolWithCoin);
    const { dex, usdc, coin, coinAddress, dexAddress } = fx;
    const { model, trades } = tradesOn(fx);
    const [, , , , , , , holder, trader, attacker] = await ethers.getSigners();
    for (const who of [holder, trader, attacker]) {
      await usdc.mint(who.address, who === attacker ? USDC(20_000) : USDC(1_000_000));
      await usdc.connect(who).approve(dexAddress, E.MaxUint256);
      await coin.connect(who).approve(dexAddress, E.MaxUint256);
    }
    let t = BigInt(await time.latest()) + 1n;
    let holderFees = 0n;
    const charged = (fee: bigint) => (holderFees += split(fee).holders);

    // A long-term holder buys; then a trader churns the market: ~8,000 USDC of holder fees (the PoC's size).
    charged((await trades.buy(holder, USDC(1_000), t)).fee);
    for (let i = 0; i < 4; i++) {
      charged((await trades.buy(trader, USDC(100_000), (t += 1n))).fee);
      charged((await trades.sell(trader, await coin.balanceOf(trader.address), (t += 1n))).fee);
    }
    expect(holderFees).to.be.greaterThanOrEqual(USDC(7_900));

    // The attack: buy big right before a big round trip by the trader (~2,000 USDC of holder fees), release the held
    // fees, sell right after it, claim.
    const start = (t += 1n);
    const { coins: bought, fee: entryFee } = await trades.buy(attacker, USDC(20_000), start);
    charged(entryFee);
    charged((await trades.buy(trader, USDC(100_000), (t += 1n))).fee);
    charged((await trades.sell(trader, await coin.balanceOf(trader.address), (t += 1n))).fee);
    await at((t += 1n));
    await expect(dex.connect(attacker).releaseHolderFees(coinAddress)).to.emit(dex, "HolderFeesReleased");
    const end = (t += 1n);
    charged((await trades.sell(attacker, bought, end)).fee);
    const captured = model.claim(attacker.address, await at((t += 1n)));
    await expect(coin.connect(attacker).claimRevenue()).to.emit(coin, "RevenueClaimed").withArgs(attacker.address, captured);
    // In h seconds at most locked · h / REVENUE_UNLOCK_TIME unlocks, of which the attacker earns his share of the supply.
    const bound = (holderFees * (end - start) * bought) / (T * fx.supply) + 1n;
    expect(captured).to.be.lessThanOrEqual(bound);
    expect(captured).to.be.lessThan(USDC(1) / 10n); // less than a dime of ~10,000 USDC of fees
    expect(await usdc.balanceOf(attacker.address)).to.be.lessThan(USDC(20_000));

    // The long-term holder, untouched, earns his share of every fee as it unlocks: about half of it after a week.
    t += T;
    await time.increaseTo(t);
    const owed = model.claimable(holder.address, t);
    expect(await coin.claimableRevenue(holder.address)).to.equal(owed);
    const holderShare = (await coin.balanceOf(holder.address)) * 10_000n / fx.supply; // in basis points
    expect(owed).to.be.closeTo((holderFees * holderShare) / 10_000n / 2n, (holderFees * holderShare) / 10_000n / 20n);
    // Per coin held, a week of holding earned over ten thousand times what the seconds around the big trade did.
    expect(owed * bought).to.be.greaterThan(captured * (await coin.balanceOf(holder.address)) * 10_000n);
    await expect(coin.connect(holder).claimRevenue()).to.changeTokenBalance(
      ethers,
      usdc,
      holder,
      model.claim(holder.address, await at(t + 1n)),
    );
  });

  it("the market's revenue joins its USDC reserve at the next trade, priced in: quote == swap after time passes with a deposit pending", async () => {
    const fx = await loadFixture(protocolWithCoin);
    const { dex, distributor, usdc, coin, coinAddress, dexAddress, fanA, fanB, platform } = fx;
    const { model, trades } = tradesOn(fx);
    let t = BigInt(await time.latest()) + 1n;
    await trades.buy(fanA, USDC(1_000), t);
    await at((t += 1n));
    await distributor.connect(platform).deposit(coinAddress, USDC(10_000));
    model.deposit(USDC(10_000), t);

    // A week later: the market's coins (nearly 90 % of the supply) earned nearly 90 % of the 5,000 USDC unlocked.
    t += T;
    await time.increaseTo(t);
    const pending = model.pendingMarketRevenue(t);
    expect(await coin.pendingMarketRevenue()).to.equal(pending);
    expect(pending).to.be.closeTo(USDC(4_400), USDC(100));
    const m = await dex.market(coinAddress);
    expect(await dex.spotPrice(coinAddress)).to.equal(((m.virtualUsdc + m.usdcReserve + pending) * 10n ** 18n) / m.coinReserve);

    // The next trade (Trades checks that it is priced on usdcReserve + the revenue, as quoted in its block): the DEX
    // keeps what it holds of this coin's holder fees, and the coin sends the rest.
    const [coinBefore, dexBefore] = [await usdc.balanceOf(coinAddress), await usdc.balanceOf(dexAddress)];
    const { revenue } = await trades.buy(fanB, USDC(500), (t += 1n));
    expect(revenue).to.be.greaterThan(m.holderFees);
    expect(await usdc.balanceOf(coinAddress)).to.equal(coinBefore - (revenue - m.holderFees));
    expect(await usdc.balanceOf(dexAddress)).to.equal(dexBefore + USDC(500) + (revenue - m.holderFees));
    expect((await dex.market(coinAddress)).usdcReserve).to.equal(m.usdcReserve + revenue + USDC(500) - USDC(500) * 250n / 10_000n);

    // Trades a minute apart: what the market earned in between is paid out of the held fees alone.
    for (let i = 0; i < 3; i++) {
      const coinHeld = await usdc.balanceOf(coinAddress);
      const { revenue: small } = await trades.sell(fanB, (await coin.balanceOf(fanB.address)) / 4n, (t += 60n));
      expect(small).to.be.greaterThan(0n);
      expect(await usdc.balanceOf(coinAddress)).to.equal(coinHeld);
    }
  });

  it("a creator releasing and selling vested coins leaves every fan able to sell on sellVirtualUsdc; only a coin with an open market records releases", async () => {
    const fx = await loadFixture(protocolWithCoin);
    const { dex, coin, coinAddress, creator, fanA, fanB, platform, launchedAt, supply } = fx;
    const { model, trades } = tradesOn(fx);
    await expect(dex.connect(platform).recordCreatorRelease(1n))
      .to.be.revertedWithCustomError(dex, "MusicDEXMarketNotOpen")
      .withArgs(platform.address);

    let t = BigInt(await time.latest()) + 1n;
    await trades.buy(fanA, USDC(1_000), t);
    await trades.buy(fanB, USDC(3_000), (t += 1n));
    expect(await dex.sellVirtualUsdc(coinAddress)).to.equal((await dex.market(coinAddress)).virtualUsdc);

    // The whole allocation vests and the creator dumps it first.
    t = await at(launchedAt + 365n * 24n * 3600n);
    const outstanding = (await dex.market(coinAddress)).outstanding;
    await expect(coin.releaseVested()).to.emit(dex, "CreatorCoinsReleased").withArgs(coinAddress, supply / 10n, outstanding + supply / 10n);
    model.release(creator.address, supply / 10n, t);
    expect(await dex.sellVirtualUsdc(coinAddress)).to.be.lessThan((await dex.market(coinAddress)).virtualUsdc);
    await trades.sell(creator, supply / 10n, (t += 1n));
    // Every fan can still sell everything, on the backed curve (Trades checks the prices exactly).
    await trades.sell(fanB, await coin.balanceOf(fanB.address), (t += 1n));
    await trades.sell(fanA, await coin.balanceOf(fanA.address), (t += 1n));
    const m = await dex.market(coinAddress);
    expect(m.outstanding).to.equal(0n);
    expect(m.coinReserve).to.equal(supply);
  });

  it("a coin's first buy, its gas estimated before a revenue deposit lands: the bare estimate runs out of gas, withGasMargin's limit (the app's, the simulator's) mines", async () => {
    expect(GAS_MARGIN_PERCENT).to.equal(25n);
    expect(withGasMargin(164_515n)).to.equal(205_643n);
    for (const limit of ["bare", "margin"] as const) {
      const { dex, distributor, fanA, platform, coinAddress } = await loadFixture(protocolWithCoin);
      // The fan's wallet estimates while nothing of the coin's revenue is unlocked...
      const estimate = await dex.connect(fanA).buy.estimateGas(coinAddress, USDC(50), 0n, fanA.address, FAR);
      // ...then a deposit is mined first and seconds of it unlock: the buy now pays the market's revenue out too.
      await distributor.connect(platform).deposit(coinAddress, USDC(30));
      await time.increase(5);
      const dearer = await dex.connect(fanA).buy.estimateGas(coinAddress, USDC(50), 0n, fanA.address, FAR);
      expect(dearer).to.be.greaterThan(estimate);
      expect(withGasMargin(estimate)).to.be.greaterThan(dearer);
      const buy = (gasLimit: bigint) => dex.connect(fanA).buy(coinAddress, USDC(50), 0n, fanA.address, FAR, { gasLimit });
      if (limit === "bare") {
        // The coin's USDC transfer runs out of gas inside the call, so the revert carries no reason; nothing moved.
        await expect(buy(estimate)).to.be.revertedWithoutReason(ethers);
        expect((await dex.market(coinAddress)).outstanding).to.equal(0n);
      } else {
        const receipt = await (await buy(withGasMargin(estimate))).wait();
        expect(receipt?.status).to.equal(1);
        expect(receipt!.gasUsed).to.be.greaterThan(estimate);
        expect((await dex.market(coinAddress)).outstanding).to.be.greaterThan(0n);
      }
    }
  });

  it("settles signed stream vouchers in a batch, paying only what was signed", async () => {
    const { vault, usdc, relayer, listener, creator: artist, chainId } = await loadFixture(protocolWithTrack);
    await vault.connect(listener).deposit(USDC(10));
    const domain = await vaultDomain(vault, chainId);
    const voucher = (cumulativeAmount: bigint) => ({
      listener: listener.address,
      artist: artist.address,
      sessionId: E.id("session-1"),
      cumulativeAmount,
      deadline: FAR,
    });
    const v1 = voucher(USDC(1));
    const v2 = voucher(USDC(3));
    const sigs = [await signVoucher(listener, domain, v1), await signVoucher(listener, domain, v2)];
    await vault.connect(relayer).settle([v1, v2], packSignatures(sigs));
    await vault.connect(relayer).settle([v2], packSignatures([sigs[1]])); // a repeat pays nothing more
    expect(await vault.earningsOf(artist.address)).to.equal(USDC(3));
    expect(await vault.balanceOf(listener.address)).to.equal(USDC(7));
    await expect(vault.connect(artist).withdrawEarnings(artist.address)).to.changeTokenBalance(ethers, usdc, artist, USDC(3));
    await vault.connect(listener).requestWithdrawal(USDC(7));
    await time.increase(await vault.WITHDRAWAL_DELAY());
    await expect(vault.connect(listener).withdraw()).to.changeTokenBalance(ethers, usdc, listener, USDC(7));
  });
});
