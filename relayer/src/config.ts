import { availableParallelism } from "node:os";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { lowerHex } from "./crypto/hex.js";
import { LOG_LEVELS } from "./log.js";

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const boolean = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value === "" ? undefined : value));
const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
  .transform(lowerHex);

/**
 * Every setting the relayer reads, in one table: the README renders it, `loadConfig` parses it.
 * An unset variable takes the default; an empty one counts as unset.
 */
export const CONFIG_SETTINGS = {
  PORT: { default: "8787", schema: port, meaning: "HTTP port the API listens on" },
  HOST: { default: "127.0.0.1", schema: z.string().min(1), meaning: "interface the API binds to" },
  DATABASE_URL: {
    default: undefined,
    schema: optionalString.pipe(z.url().optional()),
    meaning: "PostgreSQL connection string; unset means the embedded PGlite store in DATA_DIR",
  },
  DATA_DIR: { default: ".data/relayer", schema: z.string().min(1), meaning: "directory of the embedded store and local files" },
  RPC_URL: { default: "http://127.0.0.1:8545", schema: z.url(), meaning: "JSON-RPC endpoint of the chain" },
  CHAIN_ID: { default: "31337", schema: positiveInt, meaning: "chain id; selects deployments/<CHAIN_ID>.json" },
  DEPLOYMENTS_DIR: { default: "deployments", schema: z.string().min(1), meaning: "directory holding <chainId>.json" },
  OPERATOR_API_KEY: {
    default: undefined,
    schema: optionalString.pipe(z.string().min(16, "OPERATOR_API_KEY must be at least 16 characters").optional()),
    meaning: "bearer token for /v1/admin/*; unset disables operator endpoints",
  },
  CORS_ORIGINS: {
    default: "*",
    schema: z
      .string()
      .min(1)
      .transform((value) => value.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "")),
    meaning: "origins a browser may call the API from (comma-separated, * for any); the web app's origin must be one. Operator routes need the bearer key whatever the origin",
  },
  TRUST_PROXY: {
    default: "false",
    schema: boolean,
    meaning: "take the client IP from X-Forwarded-For (only behind a proxy you run)",
  },
  MIN_PLAY_SECONDS: { default: "20", schema: positiveInt, meaning: "shortest play that counts, in seconds" },
  MAX_PLAY_SECONDS: {
    default: "86400",
    schema: positiveInt,
    meaning: "longest single play accepted, in seconds (a day-long 'play' is a stuck client, not a listen)",
  },
  PLAY_MAX_AGE_SECONDS: {
    default: String(7 * 24 * 3600),
    schema: positiveInt,
    meaning: "oldest accepted play end (startedAt + durationSeconds), in seconds before now",
  },
  CLOCK_SKEW_SECONDS: {
    default: "60",
    schema: nonNegativeInt,
    meaning: "how far a play's end may lie in the future (client clocks drift)",
  },
  RATE_LIMIT_LISTENER_TRACK_PER_HOUR: {
    default: "60",
    schema: positiveInt,
    meaning: "plays one listener may log for one track per clock hour of startedAt",
  },
  RATE_LIMIT_LISTENER_TRACK_PER_DAY: {
    default: "500",
    schema: positiveInt,
    meaning: "plays one listener may log for one track per UTC day of startedAt",
  },
  RATE_LIMIT_IP_PER_MINUTE: {
    default: "100000",
    schema: positiveInt,
    meaning: "plays accepted from one client IP per minute of arrival",
  },
  BODY_LIMIT_BYTES: { default: String(1024 * 1024), schema: positiveInt, meaning: "largest request body, in bytes" },
  VERIFY_THREADS: {
    default: "auto",
    schema: z.union([z.literal("auto").transform(() => availableParallelism()), nonNegativeInt]),
    meaning: "worker threads checking play and stream voucher signatures; auto is one per core, 0 checks on the HTTP thread",
  },
  MAX_PLAYS_PER_REQUEST: { default: "1000", schema: positiveInt.max(1000), meaning: "most plays in one POST /v1/plays" },
  MAX_EVENTS_PER_REQUEST: { default: "1000", schema: positiveInt.max(1000), meaning: "most engagement events in one POST /v1/engagement" },
  ENGAGEMENT_RATE_LIMIT_FAN_PER_HOUR: {
    default: "600",
    schema: positiveInt,
    meaning: "engagement events one fan may log per clock hour of issuedAt (likes, follows, playlist edits, comments, …)",
  },
  ENGAGEMENT_RATE_LIMIT_FAN_PER_DAY: {
    default: "5000",
    schema: positiveInt,
    meaning: "engagement events one fan may log per UTC day of issuedAt",
  },
  ENGAGEMENT_RATE_LIMIT_IP_PER_MINUTE: {
    default: "100000",
    schema: positiveInt,
    meaning: "engagement events accepted from one client IP per minute of arrival",
  },
  TRACK_REFRESH_MS: {
    default: "1000",
    schema: nonNegativeInt,
    meaning: "least time between two chain reads of totalTracks caused by an unknown track id (and between two isCreator reads of an address that is not an artist)",
  },
  BATCH_INTERVAL_MS: { default: "60000", schema: positiveInt, meaning: "seal a batch at least this often, in ms" },
  STATS_ROLLUP_INTERVAL_MS: {
    default: "2000",
    schema: positiveInt,
    meaning: "roll new plays and engagement events into the statistics this often, in ms (how far the analytics trail ingestion)",
  },
  BATCH_MAX: {
    default: "10000",
    schema: positiveInt,
    meaning: "seal a batch as soon as this many plays are pending",
  },
  MILESTONE_PLAYS: {
    default: "5000",
    schema: positiveInt,
    meaning: "a creator crossing a multiple of this many committed plays gets updateCreatorMetrics",
  },
  FOLLOWER_MILESTONE: {
    default: "1000",
    schema: positiveInt,
    meaning: "a creator crossing a multiple of this many committed followers gets updateCreatorMetrics",
  },
  REVENUE_MILESTONE: {
    default: "1000000000",
    schema: positiveInt,
    meaning: "a creator whose revenue (vault-settled streams + coin deposits, USDC units: 6 decimals) crosses a multiple of this gets updateCreatorMetrics",
  },
  RELAYER_PRIVATE_KEY: {
    // Hardhat's well-known test account #1: the Protocol module grants it the three relayer roles on a local chain.
    // Public, so never use it anywhere else.
    default: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    schema: privateKey,
    meaning: "the key of every job whose own key below is unset (default: Hardhat test account #1, local chains only)",
  },
  COMMITTER_PRIVATE_KEY: {
    default: undefined,
    schema: optionalString.pipe(privateKey.optional()),
    meaning: "key that signs MusicNFT.commitPlays (holds MusicNFT RELAYER_ROLE); unset: RELAYER_PRIVATE_KEY",
  },
  REPORTER_PRIVATE_KEY: {
    default: undefined,
    schema: optionalString.pipe(privateKey.optional()),
    meaning: "key that signs CreatorCoinFactory.updateCreatorMetrics (holds the factory's RELAYER_ROLE); unset: RELAYER_PRIVATE_KEY",
  },
  SETTLER_PRIVATE_KEY: {
    default: undefined,
    schema: optionalString.pipe(privateKey.optional()),
    meaning: "key that signs BeatStreamVault.settle (holds the vault's RELAYER_ROLE); unset: RELAYER_PRIVATE_KEY",
  },
  LIGHTHOUSE_API_KEY: {
    default: undefined,
    schema: optionalString,
    meaning: "store snapshots on Filecoin through Lighthouse; unset keeps them in DATA_DIR/snapshots",
  },
  TX_RECEIPT_TIMEOUT_MS: {
    default: "120000",
    schema: positiveInt,
    meaning: "how long a cycle waits for a receipt before leaving the transaction recorded for the next cycle",
  },
  CHAIN_RETRY_ATTEMPTS: { default: "5", schema: positiveInt, meaning: "attempts per RPC call of the batcher (exponential backoff)" },
  STREAM_VOUCHER_INTERVAL_SECONDS: {
    default: "5",
    schema: positiveInt.max(3600),
    meaning: "how often a streaming client signs a voucher, in seconds (sent to clients in the opened frame)",
  },
  STREAM_GRACE_SECONDS: {
    default: "3",
    schema: nonNegativeInt.max(3600),
    meaning: "seconds of payment a voucher may run ahead of the elapsed session time (clock and network slack)",
  },
  STREAM_SILENCE_SECONDS: {
    default: "15",
    schema: positiveInt.max(86_400),
    meaning: "a session with no accepted voucher for this long (or whose vouchers lag this far behind) is ended",
  },
  STREAM_MIN_VOUCHER_TTL_SECONDS: {
    default: "3600",
    schema: positiveInt,
    meaning: "least time a voucher's deadline must lie ahead when it arrives, so settlement has time to carry it",
  },
  STREAM_BALANCE_TTL_MS: {
    default: "60000",
    schema: nonNegativeInt,
    meaning: "how long a listener's on-chain vault balance is reused before it is read again (sooner when a voucher does not fit)",
  },
  STREAM_SETTLE_INTERVAL_MS: { default: "60000", schema: positiveInt, meaning: "settle the latest vouchers on BeatStreamVault at least this often, in ms" },
  STREAM_SETTLE_ON_CLOSE_MS: {
    default: "2000",
    schema: nonNegativeInt,
    meaning: "after a session ends, settle within this many ms (closes in that window share one settle)",
  },
  DISTRIBUTION_INTERVAL_MS: {
    default: "3600000",
    schema: nonNegativeInt,
    meaning: "look this often (ms) for creators whose holder revenue is due (once per vault distribution period) and distribute it; 0 turns the job off (`relayer distribute` still works)",
  },
  STREAM_SETTLE_MAX: { default: "100", schema: positiveInt.max(2000), meaning: "most vouchers in one BeatStreamVault.settle transaction" },
  STREAM_MAX_SESSIONS: { default: "20000", schema: positiveInt, meaning: "most live streaming sessions one relayer process holds" },
  LOG_LEVEL: { default: "info", schema: z.enum(LOG_LEVELS), meaning: "log verbosity: silent, fatal, error, warn, info, debug or trace" },
} as const;

type Settings = typeof CONFIG_SETTINGS;
export type SettingName = keyof Settings;

type ConfigShape = { [Name in SettingName]: Settings[Name]["schema"] };

/** The parsed configuration, keyed by environment variable name. */
export type Config = z.output<z.ZodObject<ConfigShape>>;

export type LoadConfigParameters = {
  /** Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
};
export type LoadConfigReturnType = Config;

/** Reads every setting from the environment, applies defaults, and fails with every bad value named. */
export function loadConfig({ env = process.env }: LoadConfigParameters = {}): LoadConfigReturnType {
  const shape = Object.fromEntries(
    Object.entries(CONFIG_SETTINGS).map(([name, setting]) => [name, setting.schema]),
  ) as ConfigShape;
  const raw = Object.fromEntries(
    Object.entries(CONFIG_SETTINGS).map(([name, setting]) => {
      const value = env[name];
      return [name, value === undefined || value === "" ? setting.default : value];
    }),
  );
  const result = z.object(shape).safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name}=${JSON.stringify(env[name] ?? "")}: ${issue.message}`;
    });
    throw new ConfigError(`invalid relayer configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

export type ConfigTableRow = { name: SettingName; default: string; meaning: string };

/** The settings as rows (name, default, meaning), in declaration order, for the README and `--help`. */
export function configTable(): ConfigTableRow[] {
  return Object.entries(CONFIG_SETTINGS).map(([name, setting]) => ({
    name: name as SettingName,
    default: setting.default ?? "(unset)",
    meaning: setting.meaning,
  }));
}
