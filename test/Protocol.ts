import { expect } from "chai";
import { network } from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { ethers as E } from "ethers";
import { packDeltas } from "./helpers/nft/deltas.js";
import { PLAY_LEAF_ENCODING, musicNFTDomain, playLeafValues, signPlay, type SignedPlay } from "./helpers/nft/plays.js";
import { packSignatures, signVoucher, vaultDomain } from "./helpers/vault/vouchers.js";
import { deployProtocol } from "./helpers/protocol.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const USDC = (n: number) => BigInt(n) * 1_000_000n;
const FAR = 2n ** 40n;

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
    for (const [i, values] of tree.entries()) {
      expect(await musicNFT.verifyPlay(1n, tree.leafHash(values), tree.getProof(i))).to.equal(true);
    }
    // The same batch sent again (a retried transaction) never counts twice.
    await expect(musicNFT.connect(relayer).commitPlays(1n, tree.root, CID, packDeltas([{ trackId: 1n, delta: 3n }])))
      .to.be.revertedWithCustomError(musicNFT, "MusicNFTBatchAlreadyCommitted")
      .withArgs(1n);
  });

  it("launches a creator coin past the threshold; fans trade; fees reach creator, treasury and holders", async () => {
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
    const coin = await ethers.getContractAt("CreatorCoin", predicted);
    const supply = await factory.coinSupply();
    expect(await coin.totalSupply()).to.equal(supply);
    expect(await coin.balanceOf(await dex.getAddress())).to.equal(supply - supply / 10n);
    expect(await coin.balanceOf(predicted)).to.equal(supply / 10n); // the creator's allocation, vesting

    // Fans buy; quotes are exact.
    const [quotedA] = await dex.quoteBuy(predicted, USDC(1_000));
    await dex.connect(fanA).buy(predicted, USDC(1_000), quotedA, fanA.address, FAR);
    expect(await coin.balanceOf(fanA.address)).to.equal(quotedA);
    await dex.connect(fanB).buy(predicted, USDC(3_000), 0n, fanB.address, FAR);
    await coin.connect(fanB).approve(await dex.getAddress(), E.MaxUint256);
    const half = (await coin.balanceOf(fanB.address)) / 2n;
    const [quotedSell] = await dex.quoteSell(predicted, half);
    const before = await usdc.balanceOf(fanB.address);
    await dex.connect(fanB).sell(predicted, half, quotedSell, fanB.address, FAR);
    expect((await usdc.balanceOf(fanB.address)) - before).to.equal(quotedSell);

    // Fees: the creator and the treasury claim theirs; the holders' share was credited on the coin in each
    // trade (its USDC stays in the DEX until a claim pulls it).
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
    const [feesA, feesB] = [await coin.claimableRevenue(fanA.address), await coin.claimableRevenue(fanB.address)];
    expect(feesA + feesB).to.be.lessThanOrEqual(market.holderFees);
    expect(feesA + feesB).to.be.greaterThanOrEqual(market.holderFees - 4n); // one unit of dust per accrual at most
    await distributor.connect(platform).deposit(predicted, USDC(500)); // platform revenue for the coin's holders

    // A deposit is shared pro rata to balances; the DEX and the vesting escrow earn nothing.
    const [balA, balB] = [await coin.balanceOf(fanA.address), await coin.balanceOf(fanB.address)];
    const [owedA, owedB] = [await coin.claimableRevenue(fanA.address), await coin.claimableRevenue(fanB.address)];
    expect(owedA - feesA + owedB - feesB).to.be.closeTo(USDC(500), 2n);
    expect((owedA - feesA) * balB - (owedB - feesB) * balA).to.be.lessThanOrEqual(balA + balB); // pro rata
    expect(await coin.claimableRevenue(await dex.getAddress())).to.equal(0n);
    // The coin pays from its own USDC while it suffices, then pulls the holder fees from the DEX.
    await expect(distributor.connect(fanA).claim([predicted])).to.changeTokenBalance(ethers, usdc, fanA, owedA);
    await expect(coin.connect(fanB).claimRevenue()).to.changeTokenBalance(ethers, usdc, fanB, owedB);
    expect((await dex.market(predicted)).holderFees).to.equal(0n);
    expect(await usdc.balanceOf(predicted)).to.be.lessThanOrEqual(4n); // rounding dust and carry only
    expect(await usdc.balanceOf(await dex.getAddress())).to.equal((await dex.market(predicted)).usdcReserve);

    // The creator's allocation vests linearly and cannot be dumped at launch.
    await time.increase(365 * 24 * 3600 / 2);
    await coin.releaseVested();
    const vested = await coin.balanceOf(creator.address);
    expect(vested).to.be.closeTo(supply / 20n, supply / 10_000n);
  });

  it("M-1 regression: a just-in-time holder captures no fees; a long-term holder got those of his holding", async () => {
    const { musicNFT, factory, dex, usdc, relayer, creator } = await loadFixture(protocolWithTrack);
    const [, , , , , , , holder, trader, attacker] = await ethers.getSigners();
    await musicNFT.connect(relayer).commitPlays(1n, E.id("root"), CID, packDeltas([{ trackId: 1n, delta: await factory.launchThreshold() }]));
    await factory.connect(creator).launchCoin("Nova", "NOVA");
    const coinAddress = await factory.coinOf(creator.address);
    const coin = await ethers.getContractAt("CreatorCoin", coinAddress);
    for (const who of [holder, trader, attacker]) {
      await usdc.mint(who.address, who === attacker ? USDC(20_000) : USDC(1_000_000));
      await usdc.connect(who).approve(await dex.getAddress(), E.MaxUint256);
      await coin.connect(who).approve(await dex.getAddress(), E.MaxUint256);
    }
    const holderFeeOf = async (tx: Promise<E.ContractTransactionResponse>) => {
      const receipt = (await (await tx).wait())!;
      const swapped = receipt.logs.map((l) => dex.interface.parseLog(l)).find((l) => l?.name === "Swapped")!;
      const fee: bigint = swapped.args.fee;
      return fee - (fee * 100n) / 250n - (fee * 50n) / 250n; // CurveMath.splitFee's holder part
    };

    // A long-term holder buys; then a trader churns the market: ~8,000 USDC of holder fees (the PoC's size).
    await dex.connect(holder).buy(coinAddress, USDC(1_000), 0n, holder.address, FAR);
    let duringHolding = 0n;
    for (let i = 0; i < 4; i++) {
      duringHolding += await holderFeeOf(dex.connect(trader).buy(coinAddress, USDC(100_000), 0n, trader.address, FAR));
      const coins = await coin.balanceOf(trader.address);
      duringHolding += await holderFeeOf(dex.connect(trader).sell(coinAddress, coins, 0n, trader.address, FAR));
    }
    expect(duringHolding).to.be.greaterThanOrEqual(USDC(7_900));
    // The trader earned nothing on his own trades; every fee of them is already the holder's.
    expect(await coin.claimableRevenue(trader.address)).to.equal(0n);
    const credited = await coin.claimableRevenue(holder.address);
    expect(credited).to.be.greaterThanOrEqual(duringHolding);

    // The attack: buy big, release and claim, sell back, in a row.
    duringHolding += await holderFeeOf(dex.connect(attacker).buy(coinAddress, USDC(20_000), 0n, attacker.address, FAR));
    await expect(dex.connect(attacker).releaseHolderFees(coinAddress)).to.emit(dex, "HolderFeesReleased");
    expect(await coin.claimableRevenue(attacker.address)).to.equal(0n);
    await expect(coin.connect(attacker).claimRevenue())
      .to.be.revertedWithCustomError(coin, "CreatorCoinNothingToClaim")
      .withArgs(attacker.address);
    const bought = await coin.balanceOf(attacker.address);
    duringHolding += await holderFeeOf(dex.connect(attacker).sell(coinAddress, bought, 0n, attacker.address, FAR));
    expect(await coin.claimableRevenue(attacker.address)).to.equal(0n);
    expect(await usdc.balanceOf(attacker.address)).to.be.lessThan(USDC(20_000));

    // The holder is paid every fee of the trades during his holding (plus his own buy's, carried while
    // nobody was eligible), up to one unit of rounding per trade.
    const owed = await coin.claimableRevenue(holder.address);
    expect(owed).to.be.greaterThanOrEqual(duringHolding);
    expect(owed).to.be.lessThanOrEqual(duringHolding + USDC(10)); // his own 1,000 USDC buy's 1 % fee
    await expect(coin.connect(holder).claimRevenue()).to.changeTokenBalance(ethers, usdc, holder, owed);
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
