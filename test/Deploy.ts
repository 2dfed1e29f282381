import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { DeployParametersError, loadDeployParameters } from "../deploy/load-parameters.js";
import ProtocolModule from "../deploy/modules/Protocol.js";
import ProtocolExternalUsdcModule from "../deploy/modules/ProtocolExternalUsdc.js";

const connection = await network.create();
const { ethers, ignition } = connection;

describe("Deploy: parameters per network and the protocol modules", () => {
  it("reads deploy/parameters/<network>.json: bigints from \"123n\", ${NAME} from the environment", async () => {
    const local = await loadDeployParameters({ network: "localhost", env: {} });
    expect(local.file).to.match(/deploy\/parameters\/localhost\.json$/);
    expect(local.parameters).to.deep.equal({ BeatStreamProtocol: { launchThreshold: 100n, withdrawalDelay: 300n } });

    const env = { RELAYER_ADDRESS: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", VERIFIER_ADDRESS: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", TREASURY_ADDRESS: "0x90F79bf6EB2c4f870365E785982E1f101E93b906" };
    const base = await loadDeployParameters({ network: "baseSepolia", env });
    expect(base.parameters.BeatStreamProtocol).to.deep.equal({
      usdc: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
      relayer: env.RELAYER_ADDRESS,
      verifier: env.VERIFIER_ADDRESS,
      treasury: env.TREASURY_ADDRESS,
      withdrawalDelay: 86_400n,
      launchThreshold: 50_000n,
    });
    // The same file for the other testnet, without a usdc (MockUSDC is deployed there).
    const calibration = await loadDeployParameters({ network: "filecoinCalibration", env });
    expect(calibration.parameters.BeatStreamProtocol).to.not.have.property("usdc");
  });

  it("refuses an unset ${NAME}, a named file that is missing, and a malformed file; a network without a file gets the defaults", async () => {
    const error = await loadDeployParameters({ network: "baseSepolia", env: {} }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(DeployParametersError);
    expect((error as DeployParametersError).code).to.equal("invalid_deploy_parameters");
    expect((error as Error).message).to.include("set RELAYER_ADDRESS");

    expect(await loadDeployParameters({ network: "no-such-network", env: {} })).to.deep.equal({ file: undefined, parameters: {} });
    const dir = await mkdtemp(join(tmpdir(), "deploy-parameters-"));
    try {
      const missing = await loadDeployParameters({ network: "localhost", env: { DEPLOY_PARAMETERS: join(dir, "none.json") } }).catch((caught: unknown) => caught);
      expect(missing).to.be.instanceOf(DeployParametersError);
      await writeFile(join(dir, "bad.json"), JSON.stringify({ BeatStreamProtocol: { relayer: ["0x1"] } }));
      const bad = await loadDeployParameters({ network: "localhost", env: { DEPLOY_PARAMETERS: join(dir, "bad.json") } }).catch((caught: unknown) => caught);
      expect(bad).to.be.instanceOf(DeployParametersError);
      await writeFile(join(dir, "own.json"), JSON.stringify({ BeatStreamProtocol: { launchThreshold: "7n" } }));
      const own = await loadDeployParameters({ network: "localhost", env: { DEPLOY_PARAMETERS: join(dir, "own.json") } });
      expect(own.parameters).to.deep.equal({ BeatStreamProtocol: { launchThreshold: 7n } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("deploys with the localhost parameters: the lowered launch threshold and withdrawal delay are set", async () => {
    const { parameters } = await loadDeployParameters({ network: "localhost", env: {} });
    const deployed = await ignition.deploy(ProtocolModule, { parameters });
    const factory = await ethers.getContractAt("CreatorCoinFactory", await deployed.factory.getAddress());
    const vault = await ethers.getContractAt("BeatStreamVault", await deployed.vault.getAddress());
    expect(await factory.launchThreshold()).to.equal(100n);
    expect(await vault.WITHDRAWAL_DELAY()).to.equal(300n);
  });

  it("deploys on an existing USDC with ProtocolExternalUsdc: every contract uses that token, no MockUSDC is deployed", async () => {
    const token = await ethers.deployContract("MockUSDC");
    const usdc = await token.getAddress();
    const before = await ethers.provider.getTransactionCount((await ethers.getSigners())[0]!.address);
    const deployed = await ignition.deploy(ProtocolExternalUsdcModule, { parameters: { BeatStreamProtocol: { usdc } } });
    expect(await deployed.usdc.getAddress()).to.equal(usdc);
    const distributor = await ethers.getContractAt("RevenueDistributor", await deployed.distributor.getAddress());
    expect(await distributor.usdc()).to.equal(usdc);
    // Five contracts and seven calls (six role grants, the threshold): no token deployed besides them.
    expect((await ethers.provider.getTransactionCount((await ethers.getSigners())[0]!.address)) - before).to.equal(5 + 7);
  });
});
