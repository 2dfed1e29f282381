/**
 * The web app in a real browser (Debian's Chromium driven by playwright-core), against the local stack as `npm start`
 * runs it (one start for every test here): a fan gets test USDC with the dev wallet, buys and sells a coin with
 * slippage protection and sees the trade in the list and on the chart; a trade the chain refuses shows the decoded
 * error in words; a fan claims revenue across its coins in one transaction; an operator verifies a batch in the
 * browser; an artist registers a track and a listener finds it; a listener plays a track (the client SDK's tracker
 * signs the qualifying play after 20 s heard) and sees it counted after the batch, likes, follows, shares, comments,
 * makes a playlist, streams by the second; an artist's dashboard agrees with the analytics API and the indexer.
 * Screenshots of each main page at desktop and phone width land in e2e/app/artifacts/ (the artist dashboard also in
 * docs/img/app-artist.png for the README). Any console error fails the run.
 *
 * Setup talks to the chain and the relayer directly: a creator mints a track, 100 listeners sign plays of it, the
 * relayer commits them, and the creator launches its coin (deploy/parameters/localhost.json: 100 plays launch).
 *
 * `npm run test:app` (about 3–4 minutes; .ci/run runs it).
 */
import { expect } from "chai";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
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

describe("web app in Chromium: trade, refused trade, claim, verify a batch, listen, playlists, stream, artist dashboard", function () {
  this.timeout(600_000);
  let dir: string;
  let env: Record<string, string>;
  let stack: NpmProcess;
  let pids: number[] = [];
  let urls: { rpc: string; relayer: string; indexer: string; app: string };
  let contracts: Record<"MusicNFT" | "CreatorCoinFactory" | "MusicDEX" | "RevenueDistributor" | "USDC", Address>;
  let client: ReturnType<typeof createPublicClient>;
  let coin: Address;
  /** The creator's track (the 100 launch plays are of it). */
  let creatorTrack: bigint;
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
    creatorTrack = trackId;
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
    // The message names what sticks out: elements and text outside any scrolling box.
    const culprits = overflow > 1 ? ((await page.evaluate(`(() => {
      const width = document.documentElement.clientWidth;
      const clipped = (element) => { for (let at = element.parentElement; at; at = at.parentElement) if (getComputedStyle(at).overflowX !== "visible") return true; return false; };
      const name = (element) => element.tagName.toLowerCase() + (element.className ? "." + String(element.className).split(" ").join(".") : "");
      const found = [...document.querySelectorAll("body *")].filter((element) => element.getBoundingClientRect().right > width + 1 && !clipped(element)).map(name);
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        if (range.getBoundingClientRect().right > width + 1 && !clipped(node.parentElement)) found.push(name(node.parentElement) + " “" + node.textContent.slice(0, 40) + "”");
      }
      return found.slice(0, 6).join(", ");
    })()`)) as string) : "";
    expect(overflow, `${name}: page wider than the phone (${culprits})`).to.be.at.most(1);
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

  /** The relayer's JSON (test side: what the page must agree with). */
  async function relayerJson<T>(path: string): Promise<T> {
    const response = await fetch(`${urls.relayer}${path}`);
    expect(response.status, path).to.equal(200);
    return (await response.json()) as T;
  }

  it("an artist registers a track with metadata, and a listener finds it by title and by artist", async function () {
    await open("/artist");
    await page.getByText("dev wallet · local chain only").waitFor();
    await page.getByText("No track yet: register your first below.").waitFor();
    await page.locator("input[name=title]").fill("Night Drive");
    await page.locator("input[name=artist-name]").fill("Dev Wallet");
    await page.locator("input[name=royalty]").fill("7.5");
    await page.getByRole("button", { name: "Register track (mint)" }).click();
    const registered = await txOutcome(/Register “Night Drive”/);
    expect(registered.status, registered.text).to.equal("confirmed");
    // The indexer has it, and the page reads its title from the token URI's metadata.
    await page.locator("[data-testid=artist-tracks] tr", { hasText: "Night Drive" }).waitFor({ timeout: 60_000 });
    expect(await page.locator("[data-testid=artist-tracks] tr", { hasText: "Night Drive" }).innerText()).to.contain("7.50 %");

    await open("/listen");
    await page.locator("[data-testid=tracks] tr").first().waitFor({ timeout: 30_000 });
    await page.locator("input[name=search]").fill("night DRIVE");
    await page.locator("[data-testid=tracks] tr", { hasText: "Night Drive" }).waitFor();
    expect(await page.locator("[data-testid=tracks] tbody tr").count()).to.equal(1);
    await page.locator("input[name=search]").fill("dev wallet");
    await page.locator("[data-testid=tracks] tr", { hasText: "Night Drive" }).waitFor();
    await page.locator("input[name=search]").fill(CREATOR.slice(0, 10));
    await page.locator(`[data-testid=tracks] tr[data-track='${creatorTrack}']`).waitFor();
    expect(await page.locator("[data-testid=tracks] tbody tr").count()).to.equal(1);
    await page.locator("input[name=search]").fill("no such track anywhere");
    await page.getByText("No track matches “no such track anywhere”.").waitFor();
    await page.locator("input[name=search]").fill("");
  });

  it("a listener plays a track: the SDK's tracker signs the qualifying play after 20 s heard, the skip is reported, and the count shows after the batch; likes, follows, shares and comments meanwhile", async function () {
    const title = `Track #${creatorTrack}`;
    const before = await relayerJson<{ committed: string }>(`/v1/tracks/${creatorTrack}/plays`);
    await open("/listen");
    await page.getByText("dev wallet · local chain only").waitFor();
    await page.getByRole("button", { name: `play ${title}` }).click();
    await page.locator(`[data-testid=player][data-track='${creatorTrack}']`).waitFor();
    // Real playback: the heard time grows from the audio element's own play event.
    await page.getByText(/Heard [1-9]\d* of the 20 s/).waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("track-committed").innerText()).to.equal(before.committed);

    // While it plays: like, follow, share (the link lands on the clipboard), comment and delete the comment.
    await page.getByRole("button", { name: "♡ Like" }).click();
    await page.getByRole("button", { name: "♥ Liked" }).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Follow artist" }).click();
    await page.getByRole("button", { name: "Following artist" }).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Share link" }).click();
    await page.getByTestId("fan-action-result").filter({ hasText: "Share (link copied): done" }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate("navigator.clipboard.readText()")).to.match(new RegExp(`/#/listen/${creatorTrack}$`));
    await page.locator("input[name=comment]").fill("the bridge is the best part");
    await page.getByRole("button", { name: "Post" }).click();
    const comment = page.locator("[data-testid=comments] li", { hasText: "the bridge is the best part" });
    await comment.waitFor({ timeout: 30_000 });
    expect(await comment.innerText()).to.match(/ at 0:\d\d/);
    const listed = await relayerJson<{ comments: { body: string; fan: string }[] }>(`/v1/tracks/${creatorTrack}/comments`);
    expect(listed.comments.map((item) => [item.body, item.fan])).to.deep.equal([["the bridge is the best part", DEV.toLowerCase()]]);
    await comment.getByRole("button", { name: "delete" }).click();
    await page.getByText("No comments yet.").waitFor({ timeout: 30_000 });
    // The fan's own view agrees.
    await page.locator(`[data-testid=liked] li[data-track='${creatorTrack}']`).waitFor();
    await page.locator(`[data-testid=following] li[data-artist='${CREATOR.toLowerCase()}']`).waitFor();
    expect((await relayerJson<{ tracks: { trackId: string }[] }>(`/v1/fans/${DEV}/likes`)).tracks.map((item) => item.trackId)).to.deep.equal([String(creatorTrack)]);

    // 20 s heard: the tracker sends the signed Play, and the relayer accepts it.
    await page.locator("[data-testid=play-status][data-state=accepted]").waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Skip" }).click();
    await page.getByTestId("play-outcome").filter({ hasText: "play_skip: done" }).waitFor({ timeout: 30_000 });
    // The batch (every 3 s here) commits it: the count on the page is the chain's.
    await page.getByTestId("track-committed").filter({ hasText: new RegExp(`^${BigInt(before.committed) + 1n}$`) }).waitFor({ timeout: 90_000 });
    expect(await client.readContract({ address: contracts.MusicNFT, abi: MusicNFTAbi, functionName: "playCount", args: [creatorTrack] })).to.equal(BigInt(before.committed) + 1n);
    const history = page.locator(`[data-testid=history] tr[data-track='${creatorTrack}']`);
    await history.filter({ hasText: "skipped at" }).waitFor({ timeout: 30_000 });
    expect(await history.first().innerText()).to.match(/(2\d|3\d) s/);
    await screenshot("listen");
  });

  it("a listener makes a playlist: create, add, reorder, rename, make private (seen with its read proof), delete", async function () {
    await open(`/listen/${creatorTrack}`);
    await page.getByText("dev wallet · local chain only").waitFor();
    await page.locator("input[name=playlist-name]").fill("Road trip");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.locator("[data-testid=playlists] li[data-playlist='Road trip']").waitFor({ timeout: 30_000 });
    const addTo = async () => {
      await page.getByLabel("playlist to add to").selectOption({ label: "Road trip" });
      await page.getByRole("button", { name: "Add", exact: true }).click();
      await page.getByTestId("fan-action-result").filter({ hasText: "Add to playlist: done" }).waitFor({ timeout: 30_000 });
    };
    await addTo();
    await page.getByRole("button", { name: "play Night Drive" }).click();
    await page.getByTestId("now-playing").filter({ hasText: "Night Drive" }).waitFor();
    const nightDrive = (await page.locator("[data-testid=player]").getAttribute("data-track"))!;
    await addTo();
    await page.locator("[data-testid=playlists] li[data-playlist='Road trip'] button").first().click();
    const order = async () => (await page.evaluate(`[...document.querySelectorAll("[data-testid=playlist-tracks] li")].map((li) => li.dataset.track).join()`)) as string;
    await page.locator(`[data-testid=playlist-tracks] li[data-track='${nightDrive}']`).waitFor({ timeout: 30_000 });
    expect(await order()).to.equal(`${creatorTrack},${nightDrive}`);
    await page.getByRole("button", { name: "move Night Drive up" }).click();
    await page.waitForFunction(`[...document.querySelectorAll("[data-testid=playlist-tracks] li")].map((li) => li.dataset.track).join() === "${nightDrive},${creatorTrack}"`, undefined, { timeout: 30_000 });
    await page.locator("input[name=rename]").fill("Road trip 2");
    await page.getByRole("button", { name: "Rename" }).click();
    await page.locator("[data-testid=playlists] li[data-playlist='Road trip 2']").waitFor({ timeout: 30_000 });
    // Private playlists are shown to their owner only, with a signed read-access proof.
    await page.getByRole("button", { name: "Show my private playlists" }).click();
    await page.getByText("private ones shown (read-access proof signed)").waitFor();
    await page.getByRole("button", { name: "Make private" }).click();
    await page.locator("[data-testid=playlists] li[data-playlist='Road trip 2'][data-public=false]").waitFor({ timeout: 30_000 });
    const publicView = await relayerJson<{ playlists: unknown[] }>(`/v1/fans/${DEV}/playlists`);
    expect(publicView.playlists, "a private playlist is hidden without the proof").to.deep.equal([]);
    await screenshot("listen-playlist");
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("No playlists yet.").waitFor({ timeout: 30_000 });
  });

  it("a listener deposits into the vault, streams by the second over the WebSocket with live vouchers, stops, and requests a withdrawal", async function () {
    await open(`/listen/${creatorTrack}`);
    await page.getByText("dev wallet · local chain only").waitFor();
    await page.locator("input[name=deposit]").fill("10");
    await page.getByRole("button", { name: "Deposit", exact: true }).click();
    const deposited = await txOutcome(/Deposit 10 USDC into the vault/);
    expect(deposited.status, deposited.text).to.equal("confirmed");
    await page.getByTestId("vault-balance").filter({ hasText: /^10 USDC$/ }).waitFor({ timeout: 30_000 });
    await page.locator("input[name=rate]").fill("0.01");
    await page.getByRole("button", { name: "Start streaming" }).click();
    await page.locator("[data-testid=stream-meter][data-status=live]").waitFor({ timeout: 30_000 });
    // The first voucher leaves within one voucher interval (5 s) and the relayer acknowledges it once stored.
    await page.getByTestId("stream-acked").filter({ hasNotText: /^0 USDC$/ }).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Stop streaming" }).click();
    const closed = page.getByTestId("stream-closed");
    await closed.waitFor({ timeout: 30_000 });
    expect(await closed.innerText()).to.contain("client_closed");
    const paid = Number((await closed.innerText()).match(/: ([\d.]+) USDC signed/)![1]);
    expect(paid).to.be.greaterThan(0);
    expect(paid).to.be.below(1);
    // The relayer holds that amount against the deposit until it settles.
    const balance = await relayerJson<{ balance: string; unsettled: string; available: string }>(`/v1/listeners/${DEV}/balance`);
    expect(BigInt(balance.balance) - BigInt(balance.unsettled) >= BigInt(balance.available)).to.equal(true);
    expect(BigInt(balance.available) < parseUnits("10", 6)).to.equal(true);
    await page.locator("input[name=withdraw]").fill("1");
    await page.getByRole("button", { name: "Request withdrawal" }).click();
    const requested = await txOutcome(/Request withdrawal of 1 USDC/);
    expect(requested.status, requested.text).to.equal("confirmed");
    await page.getByTestId("pending-withdrawal").filter({ hasText: /^1 USDC$/ }).waitFor({ timeout: 30_000 });
    await screenshot("listen-stream");
  });

  it("an artist's dashboard shows the numbers of the analytics API and the indexer, with milestone progress", async function () {
    type Sources = { source: string; completes: number; skips: number }[];
    type ArtistStats = { totals: { plays: number; likes: number; followers: number; listeners: number }; window: { totals: { plays: number; likes: number }; sources: Sources } };
    // The listen test's tracker reported how the creator's track ended: a skip, from the list ("search").
    const searchSkips = (sources: Sources) => sources.find((row) => row.source === "search")?.skips ?? 0;
    // The rollup trails ingestion by a cycle: wait until the API counts the listener's play, like, follow and skip.
    let stats: ArtistStats | undefined;
    for (let tries = 0; ; tries++) {
      stats = await relayerJson<ArtistStats>(`/v1/stats/artists/${CREATOR.toLowerCase()}?range=30d`);
      if (stats.totals.plays >= 101 && stats.totals.likes === 1 && stats.totals.followers === 1 && searchSkips(stats.window.sources) >= 1) break;
      if (tries > 60) throw new Error(`analytics never caught up: ${JSON.stringify(stats.totals)}, window sources ${JSON.stringify(stats.window.sources)}`);
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
    }
    const indexed = (await (await fetch(`${urls.indexer}/creators/${CREATOR}`)).json()) as { plays: string };
    await open(`/artist/${CREATOR}`);
    await page.getByTestId("total-plays").filter({ hasText: new RegExp(`^${stats.totals.plays}$`) }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("committed-plays").innerText()).to.equal(`${BigInt(indexed.plays).toLocaleString("en-US")} committed on-chain`);
    expect(await page.getByTestId("stat-plays").innerText()).to.equal(String(stats.window.totals.plays));
    expect(await page.getByTestId("stat-likes").innerText()).to.equal(String(stats.window.totals.likes));
    expect(await page.getByTestId("total-likes").innerText()).to.equal("1");
    expect(await page.getByTestId("total-followers").innerText()).to.equal("1");
    /**
     * The sources table of the period the page shows is the API's `window.sources` for that range, the sources that
     * ended the most plays first, with completes ÷ (completes + skips) as a whole percentage.
     */
    const expectSources = async (range: string) => {
      const { window } = await relayerJson<ArtistStats>(`/v1/stats/artists/${CREATOR.toLowerCase()}?range=${range}`);
      expect(window.sources, `${range} window sources`).to.not.be.empty;
      const expected = window.sources
        .map((row, order) => ({ ...row, order }))
        .sort((a, b) => b.completes + b.skips - (a.completes + a.skips) || a.order - b.order)
        .map((row) => [row.source, row.source, String(row.completes), String(row.skips), row.completes + row.skips === 0 ? "–" : `${((100 * row.completes) / (row.completes + row.skips)).toFixed(0)} %`]);
      const shown = `[...document.querySelectorAll("[data-testid=artist-sources] tbody tr")].map((tr) => [tr.dataset.source, ...[...tr.cells].map((td) => td.innerText)])`;
      // The page refetches every 5 s: give it one refetch to show what the API answers now.
      await page.waitForFunction(`JSON.stringify(${shown}) === ${JSON.stringify(JSON.stringify(expected))}`, undefined, { timeout: 15_000 }).catch(() => undefined);
      expect(await page.evaluate(shown), `sources over ${range}`).to.deep.equal(expected);
      expect(await page.getByRole("heading", { name: /^Where plays come from/ }).innerText()).to.equal(`Where plays come from (${range})`);
      return window.sources;
    };
    expect(searchSkips(await expectSources("30d"))).to.be.at.least(1);
    // Milestones: the follower bar runs to the relayer's FOLLOWER_MILESTONE (1000 by default), read from GET /v1/config.
    const settings = await relayerJson<{ milestones: { followers: string; revenue: string } }>("/v1/config");
    /** A bar runs from its value to the next multiple of the relayer's threshold above it. */
    const bar = async (testId: string, step: string) => {
      const element = page.getByTestId(testId);
      const [value, target] = [BigInt((await element.getAttribute("data-value"))!), BigInt((await element.getAttribute("data-target"))!)];
      expect(target % BigInt(step), `${testId} target ${target}`).to.equal(0n);
      expect(target > value && target - value <= BigInt(step), `${testId}: ${value} → ${target}`).to.equal(true);
      return value;
    };
    expect(await bar("milestone-followers", settings.milestones.followers)).to.equal(1n);
    // Revenue: the holders' 100,000 USDC deposit (and the market's holder fees) reached the creator's coin.
    expect((await bar("milestone-revenue", settings.milestones.revenue)) >= parseUnits("100000", 6)).to.equal(true);
    expect(await page.getByTestId("milestone-launch").innerText()).to.contain("Coin launched (ADA)");
    await page.getByTestId("vesting").waitFor();
    expect(Number(await page.locator(".stats-chart").getAttribute("data-points"))).to.be.greaterThan(0);
    // Another period reads another window of the API.
    await page.getByRole("radio", { name: "7d" }).click();
    await page.locator("[data-testid=artist-stats][data-range='7d']").waitFor();
    expect(searchSkips(await expectSources("7d"))).to.be.at.least(1);
    await screenshot("artist");
    await mkdir(join(ROOT, "docs", "img"), { recursive: true });
    await copyFile(join(ARTIFACTS, "artist-desktop.png"), join(ROOT, "docs", "img", "app-artist.png"));
  });

  it("no page logged a console error", async function () {
    await open("/coins");
    await page.locator("tr[data-coin='ADA']").waitFor();
    expect(consoleErrors).to.deep.equal([]);
  });
});
