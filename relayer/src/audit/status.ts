import type { Queryable } from "../db/database.js";
import { countBatchesByStatus, countPendingPlays, findBatch, type BatchStatus, type BatchSummary } from "../db/queries.js";

export type ReadStatusParameters = {
  db: Queryable;
  /** MusicNFT.nextBatchId(); a failure is reported in the result rather than hiding the database's answer. */
  nextBatchId: () => Promise<bigint>;
};

export type ReadStatusReturnType = {
  batches: Record<BatchStatus, number>;
  pendingPlays: number;
  lastCommitted: BatchSummary | null;
  chain: { nextBatchId: string } | { error: string };
};

/** What an operator checks first: the batch pipeline in the database next to where the chain stands. */
export async function readStatus({ db, nextBatchId }: ReadStatusParameters): Promise<ReadStatusReturnType> {
  const [batches, pendingPlays, last, chain] = await Promise.all([
    countBatchesByStatus(db),
    countPendingPlays(db),
    db.query<{ id: string }>(`SELECT id::text FROM batches b WHERE status = 'committed' ORDER BY b.id DESC LIMIT 1`),
    nextBatchId().then(
      (id) => ({ nextBatchId: id.toString() }),
      (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
    ),
  ]);
  const lastId = last.rows[0]?.id;
  const lastCommitted = lastId === undefined ? null : ((await findBatch(db, BigInt(lastId))) ?? null);
  return { batches, pendingPlays, lastCommitted, chain };
}

/** The status as the CLI prints it, one fact per line. */
export function formatStatus(status: ReadStatusReturnType): string[] {
  const { batches, pendingPlays, lastCommitted, chain } = status;
  const lines = [
    `batches: ${Object.entries(batches).map(([name, count]) => `${name} ${count}`).join(", ")}`,
    `pending plays: ${pendingPlays}`,
    lastCommitted === null
      ? "last committed batch: none"
      : `last committed batch: ${lastCommitted.id} (${lastCommitted.plays} plays, cid ${lastCommitted.cid}, tx ${lastCommitted.txHash}, block ${lastCommitted.block}, at ${lastCommitted.committedAt})`,
    "nextBatchId" in chain ? `chain nextBatchId: ${chain.nextBatchId}` : `chain nextBatchId: unavailable (${chain.error})`,
  ];
  return lines;
}
