import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { DeployParametersError, loadDeployParameters } from "../deploy/load-parameters.js";
import ProtocolModule, { ProtocolHandOverModule } from "../deploy/modules/Protocol.js";
import ProtocolExternalUsdcModule, { ProtocolExternalUsdcHandOverModule } from "../deploy/modules/ProtocolExternalUsdc.js";
import { planProtocolDeploy } from "../deploy/plan.js";

const connection = await network.create();
const { ethers, ignition } = connection;

describe("Deploy: parameters per network and the protocol modules", () => {
  it("reads deploy/parameters/<network>.json: bigints from \"123n\", ${NAME} from the environment", async () => {
    const local = await loadDeployParameters({ network: "localhost", env: {} });
    expect(local.file).to.match(/deploy\/parameters\/localhost\.json$/);
    expect(local.parameters).to.deep.equal({ BeatStreamProtocol: { launchThreshold: 100n, withdrawalDelay: 300n, distributionPeriod: 3_600n } });

    const env = {
      ADMIN_ADDRESS: "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
      COMMITTER_ADDRESS: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      REPORTER_ADDRESS: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
      SETTLER_ADDRESS: "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
      VERIFIER_ADDRESS: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      TREASURY_ADDRESS: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    };
    const base = await loadDeployParameters({ network: "baseSepolia", env });
    // A public network names a key per job and its governance.
    expect(base.parameters.BeatStreamProtocol).to.deep.equal({
      usdc: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
      admin: env.ADMIN_ADDRESS,
      committer: env.COMMITTER_ADDRESS,
      reporter: env.REPORTER_ADDRESS,
      settler: env.SETTLER_ADDRESS,
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
    expect((error as Error).message).to.include("set ADMIN_ADDRESS");

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

  it("plans the deploy: `relayer` stands for the three jobs, verifier and treasury follow the admin, another admin means a hand-over", () => {
    const [deployer, one, x, y, z] = ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x90F79bf6EB2c4f870365E785982E1f101E93b906", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"] as const;
    const accounts = [deployer, one];
    const local = planProtocolDeploy({ parameters: { BeatStreamProtocol: { launchThreshold: 100n } }, accounts });
    expect(local).to.deep.include({ deployer, handOver: false, externalUsdc: false, accounts: { admin: deployer, committer: one, reporter: one, settler: one, verifier: deployer, treasury: deployer } });
    expect(local.module).to.equal(ProtocolModule);
    // Every account explicit for Ignition (which cannot default one parameter to another), the rest untouched.
    expect(local.parameters).to.deep.equal({ BeatStreamProtocol: { launchThreshold: 100n, ...local.accounts } });

    const relayer = planProtocolDeploy({ parameters: { BeatStreamProtocol: { relayer: x.toLowerCase(), settler: y } }, accounts });
    expect(relayer.accounts).to.deep.include({ committer: x, reporter: x, settler: y });
    expect(relayer.parameters.BeatStreamProtocol).to.not.have.property("relayer");

    const governed = planProtocolDeploy({ parameters: { BeatStreamProtocol: { admin: z } }, accounts });
    expect(governed).to.deep.include({ handOver: true, accounts: { admin: z, committer: one, reporter: one, settler: one, verifier: z, treasury: z } });
    expect(governed.module).to.equal(ProtocolHandOverModule);
    expect(planProtocolDeploy({ parameters: { BeatStreamProtocol: { admin: z, usdc: x } }, accounts }).module).to.equal(ProtocolExternalUsdcHandOverModule);
    expect(planProtocolDeploy({ parameters: { BeatStreamProtocol: { usdc: x } }, accounts }).module).to.equal(ProtocolExternalUsdcModule);
    // The deployer named as admin (any case) is no hand-over.
    expect(planProtocolDeploy({ parameters: { BeatStreamProtocol: { admin: deployer.toLowerCase() } }, accounts }).handOver).to.equal(false);

    // A public network has the deployer's key only: the three jobs must be named.
    const refuse = (parameters: Parameters<typeof planProtocolDeploy>[0]) => {
      try {
        planProtocolDeploy(parameters);
      } catch (error) {
        expect(error).to.be.instanceOf(DeployParametersError);
        return (error as Error).message;
      }
      return expect.fail("planned without the accounts it needs");
    };
    expect(refuse({ parameters: { BeatStreamProtocol: { committer: x, reporter: x } }, accounts: [deployer] })).to.include("BeatStreamProtocol.settler");
    expect(refuse({ parameters: { BeatStreamProtocol: { verifier: "0x1234" } }, accounts })).to.include("BeatStreamProtocol.verifier: 0x1234 is not an address");
    expect(refuse({ parameters: {}, accounts: [] })).to.include("no account to deploy from");
  });

  it("deploys with the localhost parameters: the lowered launch threshold, withdrawal delay and distribution period are set, and the vault pays holder shares through the factory's coins and distributor", async () => {
    const { parameters } = await loadDeployParameters({ network: "localhost", env: {} });
    const deployed = await ignition.deploy(ProtocolModule, { parameters });
    const factory = await ethers.getContractAt("CreatorCoinFactory", await deployed.factory.getAddress());
    const vault = await ethers.getContractAt("BeatStreamVault", await deployed.vault.getAddress());
    expect(await factory.launchThreshold()).to.equal(100n);
    expect(await vault.WITHDRAWAL_DELAY()).to.equal(300n);
    expect(await vault.DISTRIBUTION_PERIOD()).to.equal(3_600n);
    expect(await vault.COIN_FACTORY()).to.equal(await deployed.factory.getAddress());
    expect(await vault.DISTRIBUTOR()).to.equal(await deployed.distributor.getAddress());
  });

  it("deploys the vault with a quarterly distribution period by default", async () => {
    const deployed = await ignition.deploy(ProtocolModule, { parameters: { BeatStreamProtocol: { launchThreshold: 100n } } });
    const vault = await ethers.getContractAt("BeatStreamVault", await deployed.vault.getAddress());
    expect(await vault.DISTRIBUTION_PERIOD()).to.equal(91n * 86_400n);
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
