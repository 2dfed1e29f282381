import { BaseError } from "viem";
import type { ContractRoles, JobRole } from "../chain/roles.js";
import { RELAYER_JOBS } from "../chain/roles.js";
import type { Queryable } from "../repo/db/database.js";
import { countBatchesByStatus, findBatch, lastCommittedBatchId, type BatchStatus, type BatchSummary } from "../repo/batches.js";
import { countPendingPlays } from "../repo/plays.js";

/** Who holds which role on-chain: each job's configured key against its role, and every role's members. */
export type RolesReport = { jobs: JobRole[]; contracts: ContractRoles[] };

export type ReadStatusParameters = {
  db: Queryable;
  /** MusicNFT.nextBatchId(); a failure is reported in the result rather than hiding the database's answer. */
  nextBatchId: () => Promise<bigint>;
  /** The roles on-chain (chain/roles.ts); a failure is reported in the result like nextBatchId's. */
  roles?: () => Promise<RolesReport>;
};

export type ReadStatusReturnType = {
  batches: Record<BatchStatus, number>;
  pendingPlays: number;
  lastCommitted: BatchSummary | null;
  chain: { nextBatchId: string } | { error: string };
  roles?: RolesReport | { error: string };
};

const errorOf = (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) });

/** What an operator checks first: the batch pipeline in the database next to where the chain stands. */
export async function readStatus({ db, nextBatchId, roles }: ReadStatusParameters): Promise<ReadStatusReturnType> {
  const [batches, pendingPlays, last, chain, onChain] = await Promise.all([
    countBatchesByStatus(db),
    countPendingPlays(db),
    lastCommittedBatchId(db),
    nextBatchId().then((id) => ({ nextBatchId: id.toString() }), errorOf),
    // viem's own messages run over many lines (request, URL, version); its first line says what failed.
    roles?.().catch((error: unknown) => errorOf(error instanceof BaseError ? new Error(error.shortMessage) : error)),
  ]);
  const lastCommitted = last === undefined ? null : ((await findBatch(db, last)) ?? null);
  return { batches, pendingPlays, lastCommitted, chain, ...(onChain === undefined ? {} : { roles: onChain }) };
}

/** The status as the CLI prints it, one fact per line. */
export function formatStatus(status: ReadStatusReturnType): string[] {
  const { batches, pendingPlays, lastCommitted, chain, roles } = status;
  const lines = [
    `batches: ${Object.entries(batches).map(([name, count]) => `${name} ${count}`).join(", ")}`,
    `pending plays: ${pendingPlays}`,
    lastCommitted === null
      ? "last committed batch: none"
      : `last committed batch: ${lastCommitted.id} (${lastCommitted.plays} plays, cid ${lastCommitted.cid}, tx ${lastCommitted.txHash}, block ${lastCommitted.block}, at ${lastCommitted.committedAt})`,
    "nextBatchId" in chain ? `chain nextBatchId: ${chain.nextBatchId}` : `chain nextBatchId: unavailable (${chain.error})`,
  ];
  if (roles === undefined) return lines;
  if ("error" in roles) return [...lines, `roles: unavailable (${roles.error})`];
  for (const { job, account, contract, role, holds } of roles.jobs) {
    const what = `${contract} ${role} (${RELAYER_JOBS[job].call})`;
    lines.push(`key ${job}: ${account} ${holds === undefined ? `(no ${contract} in the deployments file)` : holds ? `holds ${what}` : `does NOT hold ${what}`}`);
  }
  for (const { contract, address, roles: members } of roles.contracts) {
    for (const [role, accounts] of Object.entries(members)) lines.push(`role ${contract}.${role} (${address}): ${accounts.length === 0 ? "nobody" : accounts.join(", ")}`);
  }
  return lines;
}
