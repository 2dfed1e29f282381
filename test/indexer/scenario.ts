/**
 * The protocol used as its users would, with viem against a Hardhat node: creators mint tracks, the relayer
 * account commits play batches (packed deltas) and reports metrics, a coin launches and fans trade it, revenue
 * is deposited and claimed, listeners stream through the vault with signed vouchers, artists and listeners
 * withdraw. Phase one runs before the indexer starts (historical sync), phase two while it runs (realtime).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createPublicClient,
  erc20Abi,
  http,
  keccak256,
  parseAbi,
  toHex,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PublicClient,
} from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { BeatStreamVaultAbi } from "../../indexer/abis/BeatStreamVault.js";
import { CreatorCoinAbi } from "../../indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "../../indexer/abis/CreatorCoinFactory.js";
import { MusicDEXAbi } from "../../indexer/abis/MusicDEX.js";
import { MusicNFTAbi } from "../../indexer/abis/MusicNFT.js";
import { RevenueDistributorAbi } from "../../indexer/abis/RevenueDistributor.js";
import { STREAM_VOUCHER_TYPES, vaultDomain } from "../../relayer/src/crypto/eip712.js";
import { packDeltas } from "../helpers/nft/deltas.js";
import type { LocalNode } from "../relayer/helpers/processes.js";
import { createSender, type Sender } from "../../scripts/stack/send.js";

const MNEMONIC = "test test test test test test test test test test test junk";
const mockUsdcAbi = parseAbi(["function mint(address to, uint256 amount)"]);
const USDC = (amount: number) => BigInt(Math.round(amount * 1e6));

export type Addresses = {
  usdc: Address;
  musicNFT: Address;
  factory: Address;
  dex: Address;
  distributor: Address;
  vault: Address;
};

export type Actors = Record<"admin" | "relayer" | "creatorA" | "creatorB" | "fan1" | "fan2" | "fan3" | "listener1" | "listener2", HDAccount>;

export type Scenario = {
  client: PublicClient;
  addresses: Addresses;
  actors: Actors;
  /** Set once creator A launched. */
  coin: Address | undefined;
  rpc: LocalNode["rpc"];
  send: Sender;
};

export async function createScenario(node: LocalNode): Promise<Scenario> {
  const file = JSON.parse(await readFile(join(node.deploymentsDir, `${node.chainId}.json`), "utf8"));
  const at = (name: string): Address => file.contracts[name].address;
  const names = ["admin", "relayer", "creatorA", "creatorB", "fan1", "fan2", "fan3", "listener1", "listener2"] as const;
  const actors = Object.fromEntries(names.map((name, index) => [name, mnemonicToAccount(MNEMONIC, { addressIndex: index })])) as Actors;
  const client = createPublicClient({ chain: hardhat, transport: http(node.rpcUrl) });
  return {
    client,
    addresses: {
      usdc: at("MockUSDC"),
      musicNFT: at("MusicNFT"),
      factory: at("CreatorCoinFactory"),
      dex: at("MusicDEX"),
      distributor: at("RevenueDistributor"),
      vault: at("BeatStreamVault"),
    },
    actors,
    coin: undefined,
    rpc: node.rpc,
    send: createSender({ client, rpcUrl: node.rpcUrl, pollingInterval: 50 }),
  };
}

/** Sends one transaction from `account` and waits for a successful receipt. */
async function send<const abi extends Abi, name extends ContractFunctionName<abi, "nonpayable" | "payable">>(
  scenario: Scenario,
  account: HDAccount,
  contract: { address: Address; abi: abi; functionName: name; args: ContractFunctionArgs<abi, "nonpayable" | "payable", name> },
): Promise<void> {
  await scenario.send(account, contract);
}

async function mineBlocks(scenario: Scenario, count: number): Promise<void> {
  // One evm_mine per block: hardhat_mine n>1 makes blocks Ponder's realtime sync treats as a reorg.
  for (let index = 0; index < count; index++) await scenario.rpc("evm_mine");
}

async function commitBatch(scenario: Scenario, entries: { trackId: bigint; delta: bigint }[]): Promise<void> {
  const { musicNFT } = scenario.addresses;
  const batchId = await scenario.client.readContract({ address: musicNFT, abi: MusicNFTAbi, functionName: "nextBatchId" });
  const deltas = packDeltas(entries) as Hex;
  await send(scenario, scenario.actors.relayer, {
    address: musicNFT,
    abi: MusicNFTAbi,
    functionName: "commitPlays",
    args: [batchId, keccak256(toHex(`root-${batchId}`)), `bafkreibatch${batchId}`, deltas],
  });
}

async function fund(scenario: Scenario, account: HDAccount, amount: bigint, spenders: Address[]): Promise<void> {
  const { usdc } = scenario.addresses;
  await send(scenario, account, { address: usdc, abi: mockUsdcAbi, functionName: "mint", args: [account.address, amount] });
  for (const spender of spenders) {
    await send(scenario, account, { address: usdc, abi: erc20Abi, functionName: "approve", args: [spender, amount] });
  }
}

async function buy(scenario: Scenario, account: HDAccount, usdcIn: bigint): Promise<void> {
  const { dex } = scenario.addresses;
  await send(scenario, account, { address: dex, abi: MusicDEXAbi, functionName: "buy", args: [scenario.coin!, usdcIn, 0n, account.address, 2n ** 63n] });
}

async function sell(scenario: Scenario, account: HDAccount, coinsIn: bigint): Promise<void> {
  const { dex } = scenario.addresses;
  await send(scenario, account, { address: scenario.coin!, abi: CreatorCoinAbi, functionName: "approve", args: [dex, coinsIn] });
  await send(scenario, account, { address: dex, abi: MusicDEXAbi, functionName: "sell", args: [scenario.coin!, coinsIn, 0n, account.address, 2n ** 63n] });
}

async function balanceOfCoin(scenario: Scenario, holder: Address): Promise<bigint> {
  return scenario.client.readContract({ address: scenario.coin!, abi: CreatorCoinAbi, functionName: "balanceOf", args: [holder] });
}

/** Before the indexer runs: tracks, royalties, an NFT transfer, two batches, metrics, a badge, a launch, two buys. */
export async function phaseOne(scenario: Scenario): Promise<void> {
  const { musicNFT, factory, dex } = scenario.addresses;
  const { admin, relayer, creatorA, creatorB, fan1, fan2 } = scenario.actors;
  for (const [creator, uri] of [[creatorA, "ipfs://alpha-1"], [creatorA, "ipfs://alpha-2"], [creatorB, "ipfs://beta-1"]] as const) {
    await send(scenario, creator, { address: musicNFT, abi: MusicNFTAbi, functionName: "mintTrack", args: [uri, creator.address, 500n] });
  }
  await send(scenario, creatorA, { address: musicNFT, abi: MusicNFTAbi, functionName: "setTrackRoyalty", args: [2n, fan1.address, 750n] });
  await send(scenario, creatorB, { address: musicNFT, abi: MusicNFTAbi, functionName: "transferFrom", args: [creatorB.address, fan2.address, 3n] });
  // Governance lowers the launch threshold so a test-sized batch lets creator A launch.
  await send(scenario, admin, { address: factory, abi: CreatorCoinFactoryAbi, functionName: "setLaunchThreshold", args: [1_000n] });
  await commitBatch(scenario, [{ trackId: 1n, delta: 700n }, { trackId: 2n, delta: 400n }, { trackId: 3n, delta: 50n }]);
  await commitBatch(scenario, [{ trackId: 1n, delta: 100n }, { trackId: 3n, delta: 25n }, { trackId: 1n, delta: 5n }]);
  await send(scenario, relayer, { address: factory, abi: CreatorCoinFactoryAbi, functionName: "updateCreatorMetrics", args: [creatorA.address, 1_205n, 42n, USDC(12.5), "bafkreimetricsa"] });
  await send(scenario, admin, { address: factory, abi: CreatorCoinFactoryAbi, functionName: "setVerified", args: [creatorA.address, true] });
  await send(scenario, creatorA, { address: factory, abi: CreatorCoinFactoryAbi, functionName: "launchCoin", args: ["Alpha", "ALP"] });
  scenario.coin = await scenario.client.readContract({ address: factory, abi: CreatorCoinFactoryAbi, functionName: "coinOf", args: [creatorA.address] });
  await fund(scenario, fan1, USDC(10_000), [dex]);
  await fund(scenario, fan2, USDC(10_000), [dex]);
  await buy(scenario, fan1, USDC(100));
  await buy(scenario, fan2, USDC(50));
}

/** After the indexer started: trades both ways, transfers, revenue, exclusion, fee claims, vesting, the vault, a day later trades again. */
export async function phaseTwo(scenario: Scenario): Promise<void> {
  const { dex, distributor, vault, musicNFT } = scenario.addresses;
  const { admin, creatorA, creatorB, fan1, fan2, fan3, listener1, listener2 } = scenario.actors;
  const coin = scenario.coin!;
  await sell(scenario, fan1, (await balanceOfCoin(scenario, fan1.address)) / 3n);
  await send(scenario, fan2, { address: coin, abi: CreatorCoinAbi, functionName: "transfer", args: [fan3.address, (await balanceOfCoin(scenario, fan2.address)) / 4n] });
  await buy(scenario, fan2, USDC(25));
  // Revenue: through the distributor and straight on the coin, claims both ways, then an exclusion and a deposit.
  await fund(scenario, creatorA, USDC(5_000), [distributor, coin]);
  await send(scenario, creatorA, { address: distributor, abi: RevenueDistributorAbi, functionName: "deposit", args: [coin, USDC(1_000)] });
  await send(scenario, creatorA, { address: coin, abi: CreatorCoinAbi, functionName: "depositRevenue", args: [USDC(333.333333)] });
  await send(scenario, fan1, { address: coin, abi: CreatorCoinAbi, functionName: "claimRevenue", args: [] });
  await send(scenario, fan2, { address: distributor, abi: RevenueDistributorAbi, functionName: "claim", args: [[coin]] });
  await send(scenario, admin, { address: distributor, abi: RevenueDistributorAbi, functionName: "setExcluded", args: [coin, fan3.address, true] });
  await send(scenario, creatorA, { address: distributor, abi: RevenueDistributorAbi, functionName: "deposit", args: [coin, USDC(77.7)] });
  await send(scenario, creatorA, { address: dex, abi: MusicDEXAbi, functionName: "claimCreatorFees", args: [coin, creatorA.address] });
  await send(scenario, admin, { address: dex, abi: MusicDEXAbi, functionName: "claimTreasuryFees", args: [admin.address] });
  await send(scenario, fan3, { address: dex, abi: MusicDEXAbi, functionName: "releaseHolderFees", args: [coin] });
  await send(scenario, creatorA, { address: coin, abi: CreatorCoinAbi, functionName: "releaseVested", args: [] });
  // The vault: deposits, vouchers signed by the listeners and settled by the relayer, withdrawals.
  await fund(scenario, listener1, USDC(100), [vault]);
  await fund(scenario, listener2, USDC(50), [vault]);
  await send(scenario, listener1, { address: vault, abi: BeatStreamVaultAbi, functionName: "deposit", args: [USDC(60)] });
  await send(scenario, listener2, { address: vault, abi: BeatStreamVaultAbi, functionName: "deposit", args: [USDC(40)] });
  await settle(scenario, [
    { listener: listener1, artist: creatorA.address, session: "s1", cumulative: USDC(5) },
    { listener: listener2, artist: creatorB.address, session: "s2", cumulative: USDC(3) },
  ]);
  await settle(scenario, [
    { listener: listener1, artist: creatorA.address, session: "s1", cumulative: USDC(8) },
    { listener: listener1, artist: creatorB.address, session: "s3", cumulative: USDC(1.25) },
  ]);
  await send(scenario, creatorA, { address: vault, abi: BeatStreamVaultAbi, functionName: "withdrawEarnings", args: [creatorA.address] });
  await send(scenario, listener1, { address: vault, abi: BeatStreamVaultAbi, functionName: "requestWithdrawal", args: [USDC(10)] });
  await send(scenario, listener1, { address: vault, abi: BeatStreamVaultAbi, functionName: "cancelWithdrawal", args: [] });
  await send(scenario, listener2, { address: vault, abi: BeatStreamVaultAbi, functionName: "requestWithdrawal", args: [USDC(20)] });
  await send(scenario, listener1, { address: vault, abi: BeatStreamVaultAbi, functionName: "requestWithdrawal", args: [USDC(5)] });
  // A day and a bit later: the withdrawal delay has passed, and the rolling windows see two different days.
  await scenario.rpc("evm_increaseTime", [86_500]);
  await mineBlocks(scenario, 1);
  await send(scenario, listener2, { address: vault, abi: BeatStreamVaultAbi, functionName: "withdraw", args: [] });
  await settle(scenario, [{ listener: listener2, artist: creatorB.address, session: "s2", cumulative: USDC(4) }]);
  await commitBatch(scenario, [{ trackId: 3n, delta: 9n }, { trackId: 2n, delta: 30n }]);
  await fund(scenario, fan3, USDC(1_000), [dex]);
  // Revenue unlocked over the day: trades by the excluded fan3 move coins across eligibility (stored updates inside
  // the trades), the exclusion set again changes nothing, the escrow's revenue follows the vested coins, a claim.
  await buy(scenario, fan3, USDC(10));
  await sell(scenario, fan3, (await balanceOfCoin(scenario, fan3.address)) / 5n);
  await send(scenario, admin, { address: distributor, abi: RevenueDistributorAbi, functionName: "setExcluded", args: [coin, fan3.address, true] });
  await sell(scenario, fan2, (await balanceOfCoin(scenario, fan2.address)) / 2n);
  await send(scenario, creatorA, { address: coin, abi: CreatorCoinAbi, functionName: "releaseVested", args: [] });
  await send(scenario, creatorA, { address: coin, abi: CreatorCoinAbi, functionName: "claimRevenue", args: [] });
  await send(scenario, fan1, { address: coin, abi: CreatorCoinAbi, functionName: "transfer", args: [fan2.address, (await balanceOfCoin(scenario, fan1.address)) / 10n] });
  await send(scenario, creatorB, { address: musicNFT, abi: MusicNFTAbi, functionName: "mintTrack", args: ["ipfs://beta-2", creatorB.address, 0n] });
  // An emergency stop of trading, and a vault pause that was lifted again.
  await send(scenario, admin, { address: dex, abi: MusicDEXAbi, functionName: "pause", args: [] });
  await send(scenario, admin, { address: vault, abi: BeatStreamVaultAbi, functionName: "pause", args: [] });
  await send(scenario, admin, { address: vault, abi: BeatStreamVaultAbi, functionName: "unpause", args: [] });
}

async function settle(scenario: Scenario, vouchers: { listener: HDAccount; artist: Address; session: string; cumulative: bigint }[]): Promise<void> {
  const { vault } = scenario.addresses;
  const domain = vaultDomain({ chainId: hardhat.id, vault });
  const signed = await Promise.all(
    vouchers.map(async ({ listener, artist, session, cumulative }) => {
      const message = { listener: listener.address, artist, sessionId: keccak256(toHex(session)), cumulativeAmount: cumulative, deadline: 2n ** 62n };
      return { message, signature: await listener.signTypedData({ domain, types: STREAM_VOUCHER_TYPES, primaryType: "StreamVoucher", message }) };
    }),
  );
  const signatures: Hex = `0x${signed.map(({ signature }) => signature.slice(2)).join("")}`;
  await send(scenario, scenario.actors.relayer, { address: vault, abi: BeatStreamVaultAbi, functionName: "settle", args: [signed.map(({ message }) => message), signatures] });
}

export { mineBlocks };
