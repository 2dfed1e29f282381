/**
 * Gas benchmark: receipt gasUsed (including the 21,000 base) of the protocol's hot paths, on the
 * in-process Hardhat network with the whole protocol deployed by its Ignition module. Gas is
 * deterministic, so one run is the measurement.
 *
 *   npm run bench:gas      → prints a table, writes bench/results/gas.json
 *
 * Marginal figures come from batches of different sizes:
 * - commitPlays: 1, 100 and 1,000 tracks, 10 tracks per creator, entries sorted by creator; "new" =
 *   tracks never committed (their creators' totals go 0 → nonzero), "existing" = the same tracks
 *   again. perTrack = (gas(1000) − gas(100)) / 900; fixed = the intercept of that same line,
 *   gas(100) − 100 × perTrack.existing (a one-track commit also pays one whole creator-total write,
 *   which the 10-tracks-per-creator mix amortises into perTrack; gas(1) is printed beside it).
 * - settle: 1 and 100 vouchers from different listeners to one artist (a creator), first and repeat
 *   settlement of the same sessions; perVoucher = (gas(100) − gas(1)) / 99. The creator check runs once
 *   per run of one artist, so it is in gas(1) and the intercept, not in perVoucher.
 * - holder share: one repeat voucher to the coin's creator with a 10 % holder share (its run splits the amount between
 *   earnings and the holder pool, both already non-zero); `settle.holderShare.perRun` is its gas minus the same
 *   voucher's to an artist without a share, the whole cost of the share. Also setHolderShare and a quarterly
 *   distributeHolderRevenue (the vault's deposit into the coin through the distributor).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { network } from "hardhat";
import { Wallet, type ContractTransactionResponse } from "ethers";
import { deployProtocol } from "../test/helpers/protocol.js";
import { packDeltas } from "../test/helpers/nft/deltas.js";
import { packSignatures, signVoucher, vaultDomain, type StreamVoucher } from "../test/helpers/vault/vouchers.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const [, relayer, trader, holder, depositor] = await ethers.getSigners();
const { usdc, musicNFT, distributor, dex, factory, vault } = await deployProtocol(connection);

const CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
const URI = `ipfs://${CID}`;
const USDC = (n: number) => BigInt(n) * 1_000_000n;
const FAR = 2n ** 40n;
const gasOf = async (tx: Promise<ContractTransactionResponse>) => (await (await tx).wait())!.gasUsed;

let accountSeq = 0;
/** A fresh funded account (impersonated: it sends transactions but signs no messages). */
async function freshAccount() {
  const address = ethers.getAddress(ethers.dataSlice(ethers.id(`bench-account-${accountSeq++}`), 12));
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, ethers.parseEther("100"));
  return ethers.getSigner(address);
}

// ── MusicNFT ────────────────────────────────────────────────────────────────────────────────────
/** Mints `count` tracks, 10 per fresh creator; returns the ids (grouped by creator) and each mint's gas. */
async function mintTracks(count: number) {
  const ids: bigint[] = [];
  const gas: bigint[] = [];
  let creator = await freshAccount();
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % 10 === 0) creator = await freshAccount();
    gas.push(await gasOf(musicNFT.connect(creator).mintTrack(URI, creator.address, 500)));
    ids.push(await musicNFT.totalTracks());
  }
  return { ids, gas };
}

async function commit(ids: bigint[], delta = 7n) {
  const deltas = packDeltas(ids.map((trackId) => ({ trackId, delta })));
  const batchId = await musicNFT.nextBatchId();
  return gasOf(musicNFT.connect(relayer).commitPlays(batchId, ethers.id(`root-${batchId}`), CID, deltas));
}

const set1 = await mintTracks(1);
const set100 = await mintTracks(100);
const set1000 = await mintTracks(1000);
const commitNew = { 1: await commit(set1.ids), 100: await commit(set100.ids), 1000: await commit(set1000.ids) };
const commitExisting = { 1: await commit(set1.ids), 100: await commit(set100.ids), 1000: await commit(set1000.ids) };
const perTrackNew = Number(commitNew[1000] - commitNew[100]) / 900;
const perTrackExisting = Number(commitExisting[1000] - commitExisting[100]) / 900;
const commitFixed = Number(commitExisting[100]) - 100 * perTrackExisting;

// ── Coin launch, DEX, revenue ───────────────────────────────────────────────────────────────────
const creator = await freshAccount();
const { ids: creatorTracks } = await (async () => {
  const ids: bigint[] = [];
  for (let j = 0; j < 10; j++) {
    await musicNFT.connect(creator).mintTrack(URI, creator.address, 500);
    ids.push(await musicNFT.totalTracks());
  }
  return { ids };
})();
await commit(creatorTracks, (await factory.launchThreshold()) / 10n);
const launchCoin = await gasOf(factory.connect(creator).launchCoin("Nova Beats", "NOVA"));
const coinAddress = await factory.coinOf(creator.address);
const coin = await ethers.getContractAt("CreatorCoin", coinAddress);

for (const who of [trader, holder, depositor]) {
  await usdc.mint(who.address, USDC(1_000_000));
  for (const spender of [dex, distributor, coin]) await usdc.connect(who).approve(await spender.getAddress(), ethers.MaxUint256);
}
await dex.connect(trader).buy(coinAddress, USDC(1_000), 0n, trader.address, FAR);
await coin.connect(trader).approve(await dex.getAddress(), ethers.MaxUint256);
await dex.connect(holder).buy(coinAddress, USDC(1_000), 0n, holder.address, FAR);
const buy = await gasOf(dex.connect(trader).buy(coinAddress, USDC(500), 0n, trader.address, FAR));
const sell = await gasOf(dex.connect(trader).sell(coinAddress, (await coin.balanceOf(trader.address)) / 3n, 0n, trader.address, FAR));

await coin.connect(depositor).depositRevenue(USDC(100));
const revenueDeposit = await gasOf(coin.connect(depositor).depositRevenue(USDC(100)));
const revenueClaim = await gasOf(coin.connect(holder).claimRevenue());
const routerDeposit = await gasOf(distributor.connect(depositor).deposit(coinAddress, USDC(100)));
const routerClaim = await gasOf(distributor.connect(holder).claim([coinAddress]));
await coin.connect(depositor).depositRevenue(USDC(100)); // both holders have revenue to settle on transfer
const coinTransfer = await gasOf(coin.connect(trader).transfer(holder.address, 10n ** 18n));
// A claim that the coin's own USDC cannot cover: it first pulls the holder fees the DEX holds for it.
await coin.connect(holder).claimRevenue();
await dex.connect(trader).buy(coinAddress, USDC(50_000), 0n, trader.address, FAR);
const claimPull = await gasOf(coin.connect(holder).claimRevenue());
// Trades after a large deposit has unlocked for a day: the market's share of it exceeds the holder fees the DEX
// holds for the coin, so the coin sends the rest to the DEX before the trade is priced (one USDC transfer more).
await coin.connect(depositor).depositRevenue(USDC(100_000));
await networkHelpers.time.increase(86_400);
const buyCollecting = await gasOf(dex.connect(trader).buy(coinAddress, USDC(500), 0n, trader.address, FAR));
await coin.connect(depositor).depositRevenue(USDC(100_000));
await networkHelpers.time.increase(86_400);
const sellCollecting = await gasOf(dex.connect(trader).sell(coinAddress, (await coin.balanceOf(trader.address)) / 3n, 0n, trader.address, FAR));

// ── Vault settlement ────────────────────────────────────────────────────────────────────────────
const artist = await freshAccount();
// The vault pays only creators: the artist mints a track first.
await musicNFT.connect(artist).mintTrack(URI, artist.address, 500);
const listeners: Wallet[] = [];
for (let i = 0; i < 101; i++) {
  // Fixed keys: addresses and (RFC 6979) signatures, and so calldata gas, are the same every run.
  const listener = new Wallet(ethers.id(`bench-listener-${i}`), ethers.provider);
  await networkHelpers.setBalance(listener.address, ethers.parseEther("1"));
  await usdc.mint(listener.address, USDC(100));
  await usdc.connect(listener).approve(await vault.getAddress(), ethers.MaxUint256);
  await vault.connect(listener).deposit(USDC(100));
  listeners.push(listener);
}
const domain = await vaultDomain(vault, (await ethers.provider.getNetwork()).chainId);
async function settle(from: number, to: number, cumulativeAmount: bigint, payee: { address: string } = artist) {
  const vouchers: StreamVoucher[] = [];
  const signatures: string[] = [];
  for (const listener of listeners.slice(from, to)) {
    const voucher = { listener: listener.address, artist: payee.address, sessionId: ethers.id(listener.address), cumulativeAmount, deadline: FAR };
    vouchers.push(voucher);
    signatures.push(await signVoucher(listener, domain, voucher));
  }
  return gasOf(vault.connect(relayer).settle(vouchers, packSignatures(signatures)));
}
const settleFirst = { 1: await settle(0, 1, USDC(1)), 100: await settle(1, 101, USDC(1)) };
const settleRepeat = { 1: await settle(0, 1, USDC(2)), 100: await settle(1, 101, USDC(2)) };
// The coin's creator sets aside 10 % for its holders; its first settlement creates the pool, the second is measured.
const setHolderShare = await gasOf(vault.connect(creator).setHolderShare(1_000n));
await settle(0, 1, USDC(1), creator);
const settleShared = await settle(0, 1, USDC(2), creator);
await networkHelpers.time.increase(Number(await vault.DISTRIBUTION_PERIOD()));
const distribute = await gasOf(vault.connect(trader).distributeHolderRevenue(creator.address));

// ── Report ──────────────────────────────────────────────────────────────────────────────────────
const results: Record<string, number> = {
  mintTrack: Number(set1.gas[0]),
  "commitPlays.fixed": Math.round(commitFixed),
  "commitPlays.perTrack.existing": Math.round(perTrackExisting),
  "commitPlays.perTrack.new": Math.round(perTrackNew),
  launchCoin: Number(launchCoin),
  buy: Number(buy),
  sell: Number(sell),
  "revenue.deposit": Number(revenueDeposit),
  "revenue.claim": Number(revenueClaim),
  "coin.transfer": Number(coinTransfer),
  "settle.perVoucher.first": Math.round(Number(settleFirst[100] - settleFirst[1]) / 99),
  "settle.perVoucher.repeat": Math.round(Number(settleRepeat[100] - settleRepeat[1]) / 99),
  "settle.holderShare.perRun": Number(settleShared - settleRepeat[1]),
  "holders.setShare": Number(setHolderShare),
  "holders.distribute": Number(distribute),
};
const targets: Record<string, number> = {
  "commitPlays.fixed": 60_000,
  "commitPlays.perTrack.existing": 6_000,
  "commitPlays.perTrack.new": 25_000,
  launchCoin: 350_000,
  buy: 100_000,
  sell: 100_000,
  "revenue.deposit": 50_000,
  "revenue.claim": 50_000,
  "coin.transfer": 60_000,
  "settle.perVoucher.first": 45_000,
  "settle.perVoucher.repeat": 20_000,
  // A share costs its creator's runs one more slot update and an event, never anyone else's.
  "settle.holderShare.perRun": 10_000,
  "holders.distribute": 120_000,
};
const notes: Record<string, string> = {
  mintTrack: "a new creator's first track",
  "commitPlays.fixed": `gas(1 track) = ${commitExisting[1]} existing / ${commitNew[1]} new`,
  "commitPlays.perTrack.existing": `gas(100) = ${commitExisting[100]}, gas(1000) = ${commitExisting[1000]}`,
  "commitPlays.perTrack.new": `gas(100) = ${commitNew[100]}, gas(1000) = ${commitNew[1000]}`,
  buy: `after a day of unlocking past the DEX's holder fees for the coin: ${buyCollecting}`,
  sell: `after a day of unlocking past the DEX's holder fees for the coin: ${sellCollecting}`,
  "revenue.deposit": `coin.depositRevenue; via distributor.deposit: ${routerDeposit}`,
  "revenue.claim": `coin.claimRevenue; via distributor.claim([coin]): ${routerClaim}; pulling DEX holder fees first: ${claimPull}`,
  "coin.transfer": "between two holders, revenue accrued since their last transfer",
  "settle.perVoucher.first": `gas(1) = ${settleFirst[1]}, gas(100) = ${settleFirst[100]}`,
  "settle.perVoucher.repeat": `gas(1) = ${settleRepeat[1]}, gas(100) = ${settleRepeat[100]}`,
  "settle.holderShare.perRun": `gas(1) with a 10 % share = ${settleShared}, without = ${settleRepeat[1]}`,
  "holders.distribute": "distributeHolderRevenue: approve + distributor.deposit into the coin",
};
console.table(
  Object.entries(results).map(([figure, gas]) => ({
    figure,
    gas,
    target: targets[figure] ?? "",
    met: targets[figure] === undefined ? "" : gas <= targets[figure] ? "yes" : "NO",
    note: notes[figure] ?? "",
  })),
);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/gas.json", JSON.stringify(results, null, 2) + "\n");
console.log("wrote bench/results/gas.json");
const missed = Object.keys(targets).filter((k) => results[k] > targets[k]);
if (missed.length > 0) {
  console.error(`gas targets missed: ${missed.join(", ")}`);
  process.exitCode = 1;
}
