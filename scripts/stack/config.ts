/**
 * The local stack's settings (`npm start`, `npm run simulate`, `npm run test:e2e`), in one table like the
 * relayer's: environment variables with defaults. The relayer and the indexer read their own variables too
 * (docs/local-stack.md); these are the ones the stack adds or sets differently.
 */
import { resolve } from "node:path";
import { z } from "zod";

export const ROOT = resolve(import.meta.dirname, "../..");

const port = z.coerce.number().int().min(1).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const boolean = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");
const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key");
/** Unset (the default, "") or a key. */
const optionalKey = z.union([z.literal("").transform(() => undefined), privateKey]);

/** Every setting: default and meaning (docs/local-stack.md renders this table). */
export const STACK_SETTINGS = {
  STACK_HOST: { default: "127.0.0.1", schema: z.string().min(1), meaning: "interface the chain, the relayer and the indexer bind to" },
  CHAIN_PORT: { default: "8545", schema: port, meaning: "JSON-RPC port of the local Hardhat node" },
  RELAYER_PORT: { default: "8787", schema: port, meaning: "HTTP port of the relayer" },
  INDEXER_PORT: { default: "42069", schema: port, meaning: "HTTP port of the indexer (Ponder)" },
  APP_PORT: { default: "4173", schema: port, meaning: "HTTP port of the web app (the build of app/ and its /config.json)" },
  STACK_DATA_DIR: {
    default: ".data",
    schema: z.string().min(1),
    meaning: "the stack's data: relayer/ and indexer/ (embedded PGlite stores, cleared on every start), logs/, stack.json; `npm run reset` deletes it",
  },
  DEPLOYMENTS_DIR: { default: "deployments", schema: z.string().min(1), meaning: "where the deploy step writes <chainId>.json" },
  OPERATOR_API_KEY: {
    default: "local-operator-key",
    schema: z.string().min(16),
    meaning: "the relayer's operator key (/v1/admin/*); the simulator uses it to flush the last batch",
  },
  RELAYER_PRIVATE_KEY: {
    // Hardhat's well-known test account #1. Public: local chains only.
    default: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    schema: privateKey,
    meaning: "the relayer's key for every job whose own key below is unset; the deploy grants its address those jobs' roles (default: Hardhat test account #1)",
  },
  COMMITTER_PRIVATE_KEY: { default: "", schema: optionalKey, meaning: "the key that commits plays; the deploy grants its address MusicNFT RELAYER_ROLE (unset: RELAYER_PRIVATE_KEY)" },
  REPORTER_PRIVATE_KEY: { default: "", schema: optionalKey, meaning: "the key that reports creator metrics; the deploy grants its address the factory's RELAYER_ROLE (unset: RELAYER_PRIVATE_KEY)" },
  SETTLER_PRIVATE_KEY: { default: "", schema: optionalKey, meaning: "the key that settles vouchers; the deploy grants its address the vault's RELAYER_ROLE (unset: RELAYER_PRIVATE_KEY)" },
  BATCH_INTERVAL_MS: { default: "10000", schema: positiveInt, meaning: "relayer: seal a batch at least this often (the relayer's own default is 60000)" },
  MILESTONE_PLAYS: { default: "50", schema: positiveInt, meaning: "relayer: updateCreatorMetrics every this many committed plays (relayer default 5000)" },
  FOLLOWER_MILESTONE: { default: "5", schema: positiveInt, meaning: "relayer: updateCreatorMetrics every this many committed followers (relayer default 1000)" },
  REVENUE_MILESTONE: { default: "10000000", schema: positiveInt, meaning: "relayer: updateCreatorMetrics every this much revenue, USDC units (10 USDC; relayer default 1000 USDC)" },
  STREAM_SETTLE_INTERVAL_MS: { default: "10000", schema: positiveInt, meaning: "relayer: settle stream vouchers at least this often (relayer default 60000)" },
  STACK_VERBOSE: { default: "false", schema: boolean, meaning: "also print the relayer's and the indexer's logs (always in STACK_DATA_DIR/logs)" },
  STACK_READY_TIMEOUT_MS: { default: "300000", schema: positiveInt, meaning: "how long each step (compile and deploy included) may take before start gives up" },
} as const;

type Settings = typeof STACK_SETTINGS;
type StackShape = { [Name in keyof Settings]: Settings[Name]["schema"] };
export type StackConfig = z.output<z.ZodObject<StackShape>> & {
  /** Derived: absolute data directory, URLs. */
  dataDir: string;
  deploymentsDir: string;
  rpcUrl: string;
  relayerUrl: string;
  indexerUrl: string;
  appUrl: string;
};

/** A setting holds a value the stack cannot run with. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
  readonly code = "invalid_stack_config";
}

export type LoadStackConfigParameters = { env?: Record<string, string | undefined> };
export type LoadStackConfigReturnType = StackConfig;

/** Reads every stack setting from the environment (unset or empty: the default) and derives the URLs. */
export function loadStackConfig({ env = process.env }: LoadStackConfigParameters = {}): LoadStackConfigReturnType {
  const shape = Object.fromEntries(Object.entries(STACK_SETTINGS).map(([name, setting]) => [name, setting.schema])) as StackShape;
  const raw = Object.fromEntries(
    Object.entries(STACK_SETTINGS).map(([name, setting]) => [name, env[name] === undefined || env[name] === "" ? setting.default : env[name]]),
  );
  const result = z.object(shape).safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${String(issue.path[0])}=${JSON.stringify(env[String(issue.path[0])] ?? "")}: ${issue.message}`);
    throw new StackConfigError(`invalid stack configuration: ${problems.join("; ")}`);
  }
  const config = result.data;
  const host = config.STACK_HOST.includes(":") ? `[${config.STACK_HOST}]` : config.STACK_HOST;
  return {
    ...config,
    dataDir: resolve(ROOT, config.STACK_DATA_DIR),
    deploymentsDir: resolve(ROOT, config.DEPLOYMENTS_DIR),
    rpcUrl: `http://${host}:${config.CHAIN_PORT}`,
    relayerUrl: `http://${host}:${config.RELAYER_PORT}`,
    indexerUrl: `http://${host}:${config.INDEXER_PORT}`,
    appUrl: `http://${host}:${config.APP_PORT}`,
  };
}

/** The settings as rows for docs and `--help`. */
export function stackConfigTable(): { name: string; default: string; meaning: string }[] {
  return Object.entries(STACK_SETTINGS).map(([name, setting]) => ({ name, default: setting.default, meaning: setting.meaning }));
}
