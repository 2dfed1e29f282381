import { join } from "node:path";
import type { Database } from "./database.js";
import { migrate } from "./migrations.js";
import { openPgliteThread } from "./pglite-thread.js";
import { openPostgres } from "./postgres.js";

export type OpenDatabaseParameters = {
  /** PostgreSQL connection string; undefined selects PGlite. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files (`<dataDir>/pglite`); undefined with no URL keeps it in memory. */
  dataDir?: string | undefined;
};
export type OpenDatabaseReturnType = Database;

/** Opens the configured store and brings its schema up to date before anything else touches it. */
export async function openDatabase({ databaseUrl, dataDir }: OpenDatabaseParameters): Promise<OpenDatabaseReturnType> {
  const db =
    databaseUrl !== undefined
      ? await openPostgres({ connectionString: databaseUrl })
      : await openPgliteThread({ dataDir: dataDir === undefined ? undefined : join(dataDir, "pglite") });
  try {
    await migrate({ db });
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
