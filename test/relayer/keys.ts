import { expect } from "chai";
import { custom, getAddress, toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { createSendLocks } from "../../relayer/src/chain/send-lock.js";
import { jobAddresses, jobKeys, MissingRoleError } from "../../relayer/src/chain/roles.js";
import { loadConfig } from "../../relayer/src/config.js";
import { startServer } from "../../relayer/src/server.js";
import { deployChain, newListener, signedItem, tempDir, type Chain } from "./core.helpers.js";
import { flushSettlements, fundedListener, OPERATOR_KEY, signVoucher, startStreamRelayer, writeStreamDeployments } from "./stream.helpers.js";

/** Hardhat's default accounts (public keys of a public mnemonic: this in-process chain only). */
const MNEMONIC = "test test test test test test test test test test test junk";
const hardhatKey = (index: number): Hex => toHex(mnemonicToAccount(MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
const ACCOUNT = { committer: 3, reporter: 4, settler: 5 } as const;
const KEYS = { COMMITTER_PRIVATE_KEY: hardhatKey(ACCOUNT.committer), REPORTER_PRIVATE_KEY: hardhatKey(ACCOUNT.reporter), SETTLER_PRIVATE_KEY: hardhatKey(ACCOUNT.settler) };
const address = (index: number): Address => mnemonicToAccount(MNEMONIC, { addressIndex: index }).address;

/** The protocol with one account per job (#3 commits, #4 reports, #5 settles); account #1, the default key, holds nothing. */
function deployWithJobKeys(tracks: number): Promise<Chain> {
  return deployChain(tracks, { BeatStreamProtocol: { committer: address(ACCOUNT.committer), reporter: address(ACCOUNT.reporter), settler: address(ACCOUNT.settler) } });
}

describe("relayer keys: one per job", function () {
  this.timeout(180_000);

  it("each job takes its own key, or RELAYER_PRIVATE_KEY when its own is unset", () => {
    const one = loadConfig({ env: {} });
    expect(jobKeys(one)).to.deep.equal({ committer: one.RELAYER_PRIVATE_KEY, reporter: one.RELAYER_PRIVATE_KEY, settler: one.RELAYER_PRIVATE_KEY });
    expect(jobAddresses(one)).to.deep.equal({ committer: address(1), reporter: address(1), settler: address(1) });
    const three = loadConfig({ env: { ...KEYS, SETTLER_PRIVATE_KEY: "" } });
    expect(jobAddresses(three)).to.deep.equal({ committer: address(3), reporter: address(4), settler: address(1) });
    expect(() => loadConfig({ env: { REPORTER_PRIVATE_KEY: "0x1234" } })).to.throw(/REPORTER_PRIVATE_KEY="0x1234": must be a 0x-prefixed 32-byte hex private key/);
  });

  it("one send lock per account: jobs sharing a key share it (and its nonces), others run side by side", async () => {
    const locks = createSendLocks();
    const a = address(3);
    expect(locks(a)).to.equal(locks(getAddress(a.toLowerCase())));
    expect(locks(a)).to.not.equal(locks(address(4)));
    // Two sections under one account never overlap; under two accounts they do.
    const order: string[] = [];
    const section = (name: string, ms: number) => async () => {
      order.push(`${name}+`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(`${name}-`);
    };
    await Promise.all([locks(a)(section("a1", 20)), locks(a)(section("a2", 1)), locks(address(4))(section("b", 1))]);
    expect(order.indexOf("a2+")).to.be.greaterThan(order.indexOf("a1-"));
    expect(order.indexOf("b-")).to.be.lessThan(order.indexOf("a1-"));
  });

  it("commits with the committer's key, reports milestones with the reporter's and settles with the settler's", async () => {
    const chain = await deployWithJobKeys(1);
    const relayer = await startStreamRelayer(chain, { env: { ...KEYS, MILESTONE_PLAYS: "2" } });
    try {
      const ethers = chain.connection.ethers;
      const listener = newListener();
      const now = BigInt(Math.floor(Date.now() / 1000));
      const domain = { chainId: chain.chainId, musicNFT: chain.musicNFT };
      const plays = [await signedItem(listener, domain, { startedAt: now - 300n }), await signedItem(listener, domain, { startedAt: now - 200n })];
      const posted = await fetch(`${relayer.url}/v1/plays`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ plays }) });
      expect(posted.status).to.equal(202);
      const flushed = (await (await fetch(`${relayer.url}/v1/admin/flush`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR_KEY}` } })).json()) as { batch: { txHash: Hex; status: string } };
      expect(flushed.batch.status).to.equal("committed");
      expect((await ethers.provider.getTransaction(flushed.batch.txHash))?.from).to.equal(address(ACCOUNT.committer));

      // The milestone (2 plays) went out in the same cycle, from the reporter.
      const [report] = await chain.contracts.factory.queryFilter(chain.contracts.factory.filters.CreatorMetricsUpdated(), 0, "latest");
      expect(report?.args.plays).to.equal(2n);
      expect((await report!.getTransaction()).from).to.equal(address(ACCOUNT.reporter));

      const funded = await fundedListener(chain, 1_000_000n);
      const creator = getAddress(chain.creator.address);
      const post = (path: string, body: unknown) => fetch(`${relayer.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const opened = (await (await post("/v1/sessions", { listener: funded.address, artist: creator, ratePerSecond: "100" })).json()) as { sessionId: Hex };
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 86_400);
      const signature = await signVoucher(funded, chain, { artist: creator, sessionId: opened.sessionId, cumulativeAmount: 100n, deadline });
      expect((await post("/v1/vouchers", { sessionId: opened.sessionId, cumulativeAmount: "100", deadline: Number(deadline), signature })).status).to.equal(200);
      expect((await post(`/v1/sessions/${opened.sessionId}/close`, {})).status).to.equal(200);
      const { settled } = await flushSettlements(relayer);
      expect(settled).to.have.length(1);
      const settlement = (await (await fetch(`${relayer.url}/v1/settlements/${settled[0]}`)).json()) as { txHash: Hex; status: string };
      expect(settlement.status).to.equal("settled");
      expect((await ethers.provider.getTransaction(settlement.txHash))?.from).to.equal(address(ACCOUNT.settler));
    } finally {
      await relayer.dispose();
    }
  });

  it("refuses to start when a configured key does not hold its job's role, naming each such key", async () => {
    const chain = await deployWithJobKeys(0);
    const dir = await tempDir();
    try {
      const deploymentsDir = await writeStreamDeployments(chain, dir.path);
      const start = (env: Record<string, string>) =>
        startServer({
          config: loadConfig({ env: { PORT: "0", DATA_DIR: `${dir.path}/data`, DEPLOYMENTS_DIR: deploymentsDir, CHAIN_ID: String(chain.chainId), ...env } }),
          transport: custom(chain.connection.provider),
          log: () => {},
        }).then(
          async (server) => {
            await server.close();
            return undefined;
          },
          (error: unknown) => error,
        );

      // The committer's key set as the settler's too: the vault never granted it RELAYER_ROLE.
      const swapped = await start({ ...KEYS, SETTLER_PRIVATE_KEY: KEYS.COMMITTER_PRIVATE_KEY });
      expect(swapped).to.be.instanceOf(MissingRoleError);
      expect(swapped).to.include({ code: "missing_role" });
      expect((swapped as MissingRoleError).message).to.equal(
        `SETTLER_PRIVATE_KEY (settler) signs as ${address(ACCOUNT.committer)}, which does not hold RELAYER_ROLE on BeatStreamVault: grant the role from the admin account, or configure the key that holds it`,
      );
      // Only the default key (account #1, granted nothing here): every job is named.
      const single = await start({});
      expect((single as MissingRoleError).missing.map((role) => role.job)).to.deep.equal(["committer", "reporter", "settler"]);
      // The right keys start (and the store the refusals opened was closed again).
      expect(await start(KEYS)).to.equal(undefined);
    } finally {
      await dir.remove();
    }
  });
});
