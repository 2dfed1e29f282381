import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import type { Database, QueryResult, Row } from "./database.js";

export type OpenPgliteParameters = {
  /** Directory of the database files; undefined keeps the database in memory (tests). */
  dataDir?: string;
};

/** Embedded PostgreSQL (WASM) in this process: the zero-setup default store. */
export async function openPglite({ dataDir }: OpenPgliteParameters = {}): Promise<Database> {
  // PGlite's NodeFS creates only the last path segment, so create the parents here.
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  const toResult = <T extends Row>(result: { rows: T[]; affectedRows?: number }): QueryResult<T> => ({
    rows: result.rows,
    rowCount: result.affectedRows ?? result.rows.length,
  });
  return {
    kind: "pglite",
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      return toResult(await pg.query<T>(sql, [...params]));
    },
    async copyFrom(sql, data) {
      return (await pg.query(sql, [], { blob: new Blob([data]) })).affectedRows ?? 0;
    },
    transaction(fn) {
      return pg.transaction((tx) =>
        fn({
          async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
            return toResult(await tx.query<T>(sql, [...params]));
          },
          async copyFrom(sql, data) {
            return (await tx.query(sql, [], { blob: new Blob([data]) })).affectedRows ?? 0;
          },
        }),
      );
    },
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
}
