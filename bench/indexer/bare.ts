/**
 * A baseline Ponder project for the benchmark: the project's one ponder.config.ts (same contracts, same chain, same
 * factory), but a handler that does nothing for each event the real indexer handles. Syncing the same chain with it
 * measures what Ponder itself costs here (RPC extraction, the sync store, decoding, dispatch), so the gap to the real
 * indexer is what its handlers and tables cost.
 */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

export type WriteBareProjectParameters = {
  /**
   * An empty directory outside the project: Ponder writes a ponder-env.d.ts there that declares its virtual modules
   * for this schema, which would clash with the indexer's in the project's type check. Packages resolve through a
   * node_modules link to the project's.
   */
  dir: string;
  /** `Contract:Event` names to register a no-op handler for. */
  events: string[];
};
/** Ponder's --root and --config (the project's ponder.config.ts, relative to the root as Ponder joins them). */
export type WriteBareProjectReturnType = { root: string; config: string };

export async function writeBareProject({ dir, events }: WriteBareProjectParameters): Promise<WriteBareProjectReturnType> {
  await mkdir(join(dir, "src", "api"), { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  await writeFile(
    join(dir, "ponder.schema.ts"),
    `import { onchainTable } from "ponder";\n// Ponder wants a schema; the baseline writes nothing to it.\nexport const unused = onchainTable("unused", (t) => ({ id: t.text().primaryKey() }));\n`,
  );
  await writeFile(
    join(dir, "src", "index.ts"),
    `import { ponder } from "ponder:registry";\n\n${events.map((event) => `ponder.on(${JSON.stringify(event)}, async () => {});`).join("\n")}\n`,
  );
  await writeFile(join(dir, "src", "api", "index.ts"), `import { Hono } from "hono";\n\nexport default new Hono();\n`);
  return { root: dir, config: relative(dir, join(ROOT, "ponder.config.ts")) };
}
