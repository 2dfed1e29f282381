/**
 * Environment every Ponder process of this project gets (the stack, the indexer tests, the benchmark; the npm
 * scripts `indexer:dev` and `indexer:start` spell the same in shell).
 *
 * PONDER_CACHE_BYTES caps Ponder's in-memory cache of indexed rows during a sync. Ponder's own default is a fifth of
 * the heap limit (about 830 MB on this 24 GiB machine), which took the embedded-store sync of the benchmark chain
 * to 1,045 MB resident; at 256 MiB it peaked at 927 MB at the same speed (2,866 events/s against 2,717).
 */
/**
 * Ponder's project arguments: the schema, handlers and API under `indexer/`, the one config at the project root.
 * Ponder joins --config to --root (path.join), so the config path is relative to `indexer/`.
 */
export const PONDER_PROJECT_ARGS = ["--root", "indexer", "--config", "../ponder.config.ts"] as const;

export const PONDER_CACHE_BYTES_DEFAULT = String(256 * 1024 * 1024);

export function ponderEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { PONDER_TELEMETRY_DISABLED: "true", PONDER_CACHE_BYTES: env.PONDER_CACHE_BYTES || PONDER_CACHE_BYTES_DEFAULT };
}
