/**
 * The web app in a real browser (Debian's Chromium driven by playwright-core), against the local stack as `npm start`
 * runs it (one start for every test here): a fan gets test USDC with the dev wallet, buys and sells a coin with
 * slippage protection and sees the trade in the list and on the chart; a trade the chain refuses shows the decoded
 * error in words; a fan claims revenue across its coins in one transaction; an operator verifies a batch in the
 * browser. Screenshots of each main page at desktop and phone width land in e2e/app/artifacts/. Any console error
 * fails the run.
 *
 * Setup talks to the chain and the relayer directly: a creator mints a track, 100 listeners sign plays of it, the
 * relayer commits them, and the creator launches its coin (deploy/parameters/localhost.json: 100 plays launch).
 *
 * `npm run test:app` (about 2–3 minutes; .ci/run runs it).
 */
import { expect } from "chai";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { createPublicClient, createWalletClient, formatUnits, http, maxUint256, parseEventLogs, parseUnits, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { CreatorCoinAbi } from "../../indexer/abis/CreatorCoin.js";
import { CreatorCoinFactoryAbi } from "../../indexer/abis/CreatorCoinFactory.js";
import { MockUSDCAbi } from "../../indexer/abis/MockUSDC.js";
import { MusicDEXAbi } from "../../indexer/abis/MusicDEX.js";
import { MusicNFTAbi } from "../../indexer/abis/MusicNFT.js";
import { RevenueDistributorAbi } from "../../indexer/abis/RevenueDistributor.js";
import { PLAY_TYPES, playDomain } from "../../relayer/src/crypto/eip712.js";
import { waitForIndexer } from "../../scripts/stack/simulation.js";
import { freePort } from "../../test/relayer/helpers/processes.js";
import { startNpm, type NpmProcess } from "../helpers.js";

type Playwright = typeof import("../../app/node_modules/playwright-core/index.js");
type Browser = import("../../app/node_modules/playwright-core/index.js").Browser;
type Page = import("../../app/node_modules/playwright-core/index.js").Page;

const ROOT = resolve(import.meta.dirname, "../..");
const ARTIFACTS = join(import.meta.dirname, "artifacts");
// playwright-core belongs to the app's package (app/node_modules), not the root's.
const { chromium } = createRequire(join(ROOT, "app/package.json"))("playwright-core") as Playwright;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** Hardhat's test accounts (the node signs for them): #2 the creator, #16 the "market" that moves prices and pays revenue. */
const CREATOR: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const MARKET: Address = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30";
/** The app's default dev account (#15; app/src/wagmi.ts). */
const DEV: Address = "0xcd3B766CCDd6AE721141F452C550Ca635964ce71";

describe("web app in Chromium: trade, refused trade, claim, verify a batch", function () {
  this.timeout(600_000);
  let dir: string;
  let env: Record<string, string>;
  let stack: NpmProcess;
  let pids: number[] = [];
  let urls: { rpc: string; relayer: string; indexer: string; app: string };
  let contracts: Record<"MusicNFT" | "CreatorCoinFactory" | "MusicDEX" | "RevenueDistributor" | "USDC", Address>;
  let client: ReturnType<typeof createPublicClient>;
  let coin: Address;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  const wallet = (account: Address) => createWalletClient({ account, chain: hardhat, transport: http(urls.rpc) });
  const send = async (account: Address, request: Parameters<ReturnType<typeof wallet>["writeContract"]>[0]) => {
    const hash = await wallet(account).writeContract(request);
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
    expect(receipt.status, `${String(request.functionName)} by ${account}`).to.equal("success");
    return receipt;
  };

  before(async function () {
    await mkdir(ARTIFACTS, { recursive: true });
    await mkdir(join(ROOT, "cache"), { recursive: true });
    dir = await mkdtemp(join(ROOT, "cache", "app-e2e-"));
    const [chainPort, relayerPort, indexerPort, appPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    urls = { rpc: `http://127.0.0.1:${chainPort}`, relayer: `http://127.0.0.1:${relayerPort}`, indexer: `http://127.0.0.1:${indexerPort}`, app: `http://127.0.0.1:${appPort}` };
    env = {
      CHAIN_PORT: String(chainPort),
      RELAYER_PORT: String(relayerPort),
      INDEXER_PORT: String(indexerPort),
      APP_PORT: String(appPort),
      STACK_DATA_DIR: join(dir, "data"),
      DEPLOYMENTS_DIR: join(dir, "deployments"),
      IGNITION_DEPLOYMENT_ID: `app-e2e-${randomBytes(4).toString("hex")}`,
      OPERATOR_API_KEY: "app-e2e-operator-key-01",
      // Batches as fast as the test wants them: the test flushes.
      BATCH_INTERVAL_MS: "3000",
    };
    stack = startNpm(["start"], env);
    const ready = await stack.waitFor(/^pids: chain (\d+), relayer (\d+), indexer (\d+)/, 420_000);
    pids = [...ready.matchAll(/\d+/g)].map((match) => Number(match[0]));
    await stack.waitFor(/^ready\./, 10_000);
    expect(stack.output()).to.match(new RegExp(`✓ app +open ${urls.app.replace(/[.:/]/g, "\\$&")}`));

    const deployments = JSON.parse(await readFile(join(env.DEPLOYMENTS_DIR!, "31337.json"), "utf8"));
    const at = (name: string): Address => deployments.contracts[name].address;
    contracts = { MusicNFT: at("MusicNFT"), CreatorCoinFactory: at("CreatorCoinFactory"), MusicDEX: at("MusicDEX"), RevenueDistributor: at("RevenueDistributor"), USDC: at("USDC") };
    client = createPublicClient({ chain: hardhat, transport: http(urls.rpc) });
    coin = await launchCoin();

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    const context = await browser.newContext({ viewport: DESKTOP, permissions: ["clipboard-read", "clipboard-write"] });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => consoleErrors.push(`${page.url()}: uncaught ${error.message}`));
  });

  /** A creator's track, 100 signed plays committed by the relayer, the coin launched; a first trade by MARKET. */
  async function launchCoin(): Promise<Address> {
    const minted = await send(CREATOR, { address: contracts.MusicNFT, abi: MusicNFTAbi, functionName: "mintTrack", args: ["ipfs://app-e2e-track", CREATOR, 500n], chain: hardhat, account: CREATOR });
    const [event] = parseEventLogs({ abi: MusicNFTAbi, logs: minted.logs, eventName: "TrackMinted" });
    const trackId = event!.args.trackId;
    const threshold = await client.readContract({ address: contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi, functionName: "launchThreshold" });
    const domain = playDomain({ chainId: hardhat.id, musicNFT: contracts.MusicNFT });
    const now = Math.floor(Date.now() / 1000);
    const plays = await Promise.all(
      Array.from({ length: Number(threshold) }, async (_, index) => {
        const listener = privateKeyToAccount(generatePrivateKey());
        const play = { listener: listener.address, trackId, startedAt: BigInt(now - 120 - index), durationSeconds: 60 + index, nonce: `0x${randomBytes(32).toString("hex")}` as Hex };
        const signature = await listener.signTypedData({ domain, types: PLAY_TYPES, primaryType: "Play", message: play });
        return { ...play, trackId: trackId.toString(), startedAt: Number(play.startedAt), signature };
      }),
    );
    const posted = await fetch(`${urls.relayer}/v1/plays`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ plays }) });
    const body = (await posted.json()) as { results: { status: string }[] };
    expect(body.results.filter((result) => result.status === "accepted")).to.have.length(plays.length);
    const flushed = await fetch(`${urls.relayer}/v1/admin/flush`, { method: "POST", headers: { authorization: `Bearer ${env.OPERATOR_API_KEY}` } });
    expect(flushed.status).to.equal(200);
    for (let tries = 0; (await client.readContract({ address: contracts.MusicNFT, abi: MusicNFTAbi, functionName: "creatorPlays", args: [CREATOR] })) < threshold; tries++) {
      if (tries > 120) throw new Error("the relayer did not commit the plays");
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
    }
    await send(CREATOR, { address: contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi, functionName: "launchCoin", args: ["Ada Lux", "ADA"], chain: hardhat, account: CREATOR });
    const launched = await client.readContract({ address: contracts.CreatorCoinFactory, abi: CreatorCoinFactoryAbi, functionName: "coinOf", args: [CREATOR] });
    await marketBuy(launched, parseUnits("200", 6));
    await waitForIndexer(urls.indexer, await client.getBlockNumber());
    return launched;
  }

  /** MARKET buys `usdc` worth of the coin: moves the price the way another trader would. */
  async function marketBuy(target: Address, usdc: bigint): Promise<void> {
    await send(MARKET, { address: contracts.USDC, abi: MockUSDCAbi, functionName: "mint", args: [MARKET, usdc], chain: hardhat, account: MARKET });
    await send(MARKET, { address: contracts.USDC, abi: MockUSDCAbi, functionName: "approve", args: [contracts.MusicDEX, maxUint256], chain: hardhat, account: MARKET });
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 600);
    await send(MARKET, { address: contracts.MusicDEX, abi: MusicDEXAbi, functionName: "buy", args: [target, usdc, 0n, MARKET, deadline], chain: hardhat, account: MARKET });
  }

  after(async function () {
    await browser?.close();
    await stack?.kill("SIGKILL");
    for (const pid of pids) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    if (env !== undefined) await rm(join(ROOT, "deploy", "deployments", env.IGNITION_DEPLOYMENT_ID!), { recursive: true, force: true });
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<void> {
    await page.goto(`${urls.app}/#${path}`);
  }

  async function screenshot(name: string): Promise<void> {
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
    // Nothing may stick out sideways at phone width.
    // Strings, not functions: this file is type-checked without the DOM library.
    const overflow = (await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")) as number;
    expect(overflow, `${name}: page wider than the phone`).to.be.at.most(1);
    await page.setViewportSize(DESKTOP);
  }

  /** Waits for a transaction status line to say confirmed or failed; returns its text. */
  async function txOutcome(label: RegExp): Promise<{ status: string; text: string }> {
    const line = page.locator(".tx").filter({ hasText: label }).last();
    await line.locator("xpath=self::*[@data-status='confirmed' or @data-status='failed']").waitFor({ timeout: 60_000 });
    return { status: (await line.getAttribute("data-status"))!, text: await line.innerText() };
  }

  it("serves a production build within its size budget, gzipped", async function () {
    const html = await (await fetch(`${urls.app}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
    expect(assets.length).to.be.greaterThanOrEqual(2);
    let raw = 0;
    let gzipped = 0;
    for (const asset of assets) {
      const plain = await fetch(`${urls.app}${asset}`, { headers: { "accept-encoding": "identity" } });
      const body = await plain.text();
      raw += body.length;
      // React's development build (what a stray NODE_ENV gives) greets the console; a production bundle never does.
      expect(body, asset).to.not.match(/react-dom\.development|Download the React DevTools/);
      // The header says what the server sent; fetch decompresses the body, which is not read.
      const compressed = await fetch(`${urls.app}${asset}`, { headers: { "accept-encoding": "gzip" } });
      expect(compressed.headers.get("content-encoding"), asset).to.equal("gzip");
      gzipped += Number(compressed.headers.get("content-length"));
    }
    console.log(`      home page first load: ${assets.length} assets, ${(raw / 1024).toFixed(1)} kB raw, ${(gzipped / 1024).toFixed(1)} kB gzipped`);
    expect(gzipped, "first-load budget (gzip)").to.be.below(250 * 1024);
  });

  it("loads the home page fast, with the coin listed, and keyboard users reach the nav", async function () {
    const started = Date.now();
    await open("/");
    await page.getByRole("heading", { name: "BeatStream now" }).waitFor();
    await page.getByText("ADA").first().waitFor({ timeout: 30_000 });
    const loaded = Date.now() - started;
    const timing = (await page.evaluate(
      "(([n]) => ({ domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) }))(performance.getEntriesByType('navigation'))",
    )) as { domContentLoaded: number; load: number };
    console.log(`      home page: DOMContentLoaded ${timing.domContentLoaded} ms, load ${timing.load} ms, coin list shown after ${loaded} ms`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).to.equal("Skip to content");
    await screenshot("home");
    await open("/coins");
    await page.locator("tr[data-coin='ADA']").waitFor();
    await screenshot("coins");
  });

  it("a fan connects the dev wallet, gets test USDC, buys and sells with slippage protection, and sees the trade", async function () {
    await open("/coins/" + coin);
    await page.getByRole("button", { name: "Dev wallet (local chain only)" }).click();
    await page.getByText("dev wallet · local chain only").waitFor();
    await page.getByRole("button", { name: "Get 1,000 test USDC" }).click();
    expect((await txOutcome(/Get 1,000 test USDC/)).status).to.equal("confirmed");
    await page.getByTestId("usdc-balance").filter({ hasText: "1,000 USDC" }).waitFor();

    // Buy 50 USDC worth at 1 % slippage.
    await page.locator("input[name=amount]").fill("50");
    await page.locator("input[name=slippage]").fill("1");
    await page.getByTestId("quote-out").filter({ hasText: "ADA" }).waitFor();
    await page.getByRole("button", { name: "Review buy" }).click();
    await page.getByTestId("review-min").waitFor();
    await page.getByRole("button", { name: "Confirm buy" }).click();
    const bought = await txOutcome(/Buy ADA for 50 USDC/);
    expect(bought.status, bought.text).to.equal("confirmed");
    const held = await client.readContract({ address: coin, abi: CreatorCoinAbi, functionName: "balanceOf", args: [DEV] });
    expect(held > 0n).to.equal(true);
    // The trade shows in the list and on the chart (the indexer follows the chain within seconds).
    await page.locator(`[data-testid=recent-trades] tr[data-trader='${DEV.toLowerCase()}']`).first().waitFor({ timeout: 60_000 });
    expect(Number(await page.locator(".chart").getAttribute("data-candles"))).to.be.greaterThan(0);

    // Sell half of it back.
    await page.getByRole("radio", { name: "Sell ADA" }).click();
    await page.locator("input[name=amount]").fill(formatUnits(held / 2n, 18));
    await page.getByTestId("quote-out").filter({ hasText: "USDC" }).waitFor();
    await page.getByRole("button", { name: "Review sell" }).click();
    await page.getByRole("button", { name: "Confirm sell" }).click();
    const sold = await txOutcome(/Sell .* ADA/);
    expect(sold.status, sold.text).to.equal("confirmed");
    expect(await client.readContract({ address: coin, abi: CreatorCoinAbi, functionName: "balanceOf", args: [DEV] })).to.equal(held - held / 2n);
    await page.locator(`[data-testid=recent-trades] tr[data-trader='${DEV.toLowerCase()}'] td.down`).first().waitFor({ timeout: 60_000 });
    await screenshot("coin");
  });

  it("a trade the price moved away from fails with the decoded slippage error in words, and spends nothing", async function () {
    await open("/coins/" + coin);
    await page.getByText("dev wallet · local chain only").waitFor();
    await page.getByRole("radio", { name: "Buy ADA" }).click();
    await page.locator("input[name=amount]").fill("20");
    await page.locator("input[name=slippage]").fill("0");
    await page.getByTestId("quote-out").filter({ hasText: "ADA" }).waitFor();
    await page.getByRole("button", { name: "Review buy" }).click();
    await page.getByTestId("review-min").waitFor();
    // Another trader buys before the fan confirms: the frozen minimum can no longer be met.
    await marketBuy(coin, parseUnits("5000", 6));
    const usdcBefore = await client.readContract({ address: contracts.USDC, abi: MockUSDCAbi, functionName: "balanceOf", args: [DEV] });
    await page.getByRole("button", { name: "Confirm buy" }).click();
    const failed = await txOutcome(/Buy ADA for 20 USDC/);
    expect(failed.status).to.equal("failed");
    expect(failed.text).to.match(/Slippage: you would get [\d,.]+ ADA, the minimum was [\d,.]+ ADA/);
    expect(failed.text).to.contain("MusicDEXSlippage(");
    expect(failed.text, "no raw revert data").to.not.match(/0x[0-9a-fA-F]{16,}/);
    expect(await client.readContract({ address: contracts.USDC, abi: MockUSDCAbi, functionName: "balanceOf", args: [DEV] })).to.equal(usdcBefore);
    await screenshot("coin-failed-trade");
  });

  it("a fan claims its revenue across its coins in one transaction", async function () {
    // Revenue for the coin's holders: deposited, then unlocking over time (README: CreatorCoin).
    const amount = parseUnits("100000", 6);
    await send(MARKET, { address: contracts.USDC, abi: MockUSDCAbi, functionName: "mint", args: [MARKET, amount], chain: hardhat, account: MARKET });
    await send(MARKET, { address: contracts.USDC, abi: MockUSDCAbi, functionName: "approve", args: [contracts.RevenueDistributor, amount], chain: hardhat, account: MARKET });
    await send(MARKET, { address: contracts.RevenueDistributor, abi: RevenueDistributorAbi, functionName: "deposit", args: [coin, amount], chain: hardhat, account: MARKET });
    await open("/portfolio");
    await page.locator("[data-testid=holdings] tr[data-coin='ADA']").waitFor({ timeout: 60_000 });
    await page.getByTestId("claimable-total").filter({ hasNotText: /^0 USDC$/ }).waitFor({ timeout: 60_000 });
    const usdcBefore = await client.readContract({ address: contracts.USDC, abi: MockUSDCAbi, functionName: "balanceOf", args: [DEV] });
    await page.getByRole("button", { name: "Claim all in one transaction" }).click();
    const claimed = await txOutcome(/Claim .* from 1 coin/);
    expect(claimed.status, claimed.text).to.equal("confirmed");
    expect((await client.readContract({ address: contracts.USDC, abi: MockUSDCAbi, functionName: "balanceOf", args: [DEV] })) > usdcBefore).to.equal(true);
    await screenshot("portfolio");
  });

  it("an operator verifies a committed batch in the browser against the chain", async function () {
    await open("/operator");
    await page.getByTestId("relayer-health").filter({ hasText: "ok" }).waitFor({ timeout: 30_000 });
    const verify = page.getByRole("button", { name: "verify batch 1" });
    await verify.waitFor();
    await verify.click();
    const result = page.getByTestId("verify-1");
    await result.waitFor({ timeout: 60_000 });
    const text = await result.innerText();
    expect(await result.getAttribute("data-ok"), text).to.equal("true");
    expect(text).to.contain("Batch 1 verified in this browser: 100 plays match the chain");
    expect(text).to.match(/✓ snapshot CID/);
    expect(text).to.match(/✓ Merkle root/);
    expect(text).to.match(/✓ signatures: all 100 recover/);
    await screenshot("operator");
  });

  it("shows the artist and listen pages, and no page logged a console error", async function () {
    await open(`/artist/${CREATOR}`);
    await page.getByText("Committed plays").waitFor();
    await screenshot("artist");
    await open("/listen");
    await page.getByText("ipfs://app-e2e-track").waitFor();
    await screenshot("listen");
    expect(consoleErrors).to.deep.equal([]);
  });
});
