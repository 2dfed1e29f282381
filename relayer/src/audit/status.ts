import { BaseError } from "viem";
import type { ContractRoles, JobRole } from "../chain/roles.js";
import { RELAYER_JOBS } from "../chain/roles.js";
import type { Queryable } from "../repo/db/database.js";
import { countBatchesByStatus, findBatch, lastCommittedBatchId, type BatchStatus, type BatchSummary } from "../repo/batches.js";
import { countPendingPlays } from "../repo/plays.js";
import { countDistributionsByStatus, lastDistributions, type DistributionStatus } from "../repo/distributions.js";

/** A creator's holder revenue: what waits in the vault, the last distribution, when the next is due. */
export type CreatorDistribution = {
  creator: string;
  /** The holder share in force (basis points). */
  shareBps: number;
  /** Holder revenue accrued in the vault and not distributed yet (USDC units, decimal string). */
  accrued: string;
  /** The last period distributed on chain (by anyone), or null. */
  lastPeriod: string | null;
  /** This relayer's last distribution row of the creator (status, amount, tx), or null. */
  lastByRelayer: { period: string; status: DistributionStatus; amount: string | null; txHash: string | null } | null;
  /** When the next distribution may happen (ISO time; now or earlier: due). */
  nextDueAt: string;
  due: boolean;
};

/** The holder-revenue distributions as `relayer status` shows them (chain facts read by the caller). */
export type DistributionsReport = {
  periodSeconds: string;
  currentPeriod: string;
  rows: Record<DistributionStatus, number>;
  creators: CreatorDistribution[];
};

/** Per creator with a holder share: the vault's pool next to this relayer's own rows. */
export type ChainDistributionFacts = {
  periodSeconds: bigint;
  currentPeriod: bigint;
  creators: { creator: string; shareBps: number; accrued: bigint; nextPeriod: bigint }[];
};

export async function readDistributions(db: Queryable, facts: ChainDistributionFacts): Promise<DistributionsReport> {
  const [rows, last] = await Promise.all([countDistributionsByStatus(db), lastDistributions(db)]);
  const byCreator = new Map(last.map((row) => [row.creator.toLowerCase(), row]));
  return {
    periodSeconds: facts.periodSeconds.toString(),
    currentPeriod: facts.currentPeriod.toString(),
    rows,
    creators: facts.creators.map(({ creator, shareBps, accrued, nextPeriod }) => {
      const mine = byCreator.get(creator.toLowerCase());
      const nextDue = nextPeriod > facts.currentPeriod ? nextPeriod : facts.currentPeriod;
      return {
        creator,
        shareBps,
        accrued: accrued.toString(),
        lastPeriod: nextPeriod === 0n ? null : (nextPeriod - 1n).toString(),
        lastByRelayer: mine === undefined ? null : { period: mine.period, status: mine.status, amount: mine.amount, txHash: mine.txHash },
        nextDueAt: new Date(Number(nextDue * facts.periodSeconds) * 1000).toISOString(),
        due: accrued > 0n && nextPeriod <= facts.currentPeriod,
      };
    }),
  };
}

/** Who holds which role on-chain: each job's configured key against its role, and every role's members. */
export type RolesReport = { jobs: JobRole[]; contracts: ContractRoles[] };

export type ReadStatusParameters = {
  db: Queryable;
  /** MusicNFT.nextBatchId(); a failure is reported in the result rather than hiding the database's answer. */
  nextBatchId: () => Promise<bigint>;
  /** The roles on-chain (chain/roles.ts); a failure is reported in the result like nextBatchId's. */
  roles?: () => Promise<RolesReport>;
  /** The vault's holder pools (chain/distributions.ts); absent without a vault, a failure reported like roles'. */
  distributions?: () => Promise<ChainDistributionFacts>;
};

export type ReadStatusReturnType = {
  batches: Record<BatchStatus, number>;
  pendingPlays: number;
  lastCommitted: BatchSummary | null;
  chain: { nextBatchId: string } | { error: string };
  roles?: RolesReport | { error: string };
  distributions?: DistributionsReport | { error: string };
};

const errorOf = (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) });

/** What an operator checks first: the batch pipeline in the database next to where the chain stands. */
export async function readStatus({ db, nextBatchId, roles, distributions }: ReadStatusParameters): Promise<ReadStatusReturnType> {
  const [batches, pendingPlays, last, chain, onChain, holders] = await Promise.all([
    countBatchesByStatus(db),
    countPendingPlays(db),
    lastCommittedBatchId(db),
    nextBatchId().then((id) => ({ nextBatchId: id.toString() }), errorOf),
    // viem's own messages run over many lines (request, URL, version); its first line says what failed.
    roles?.().catch((error: unknown) => errorOf(error instanceof BaseError ? new Error(error.shortMessage) : error)),
    distributions?.().then(
      (facts) => readDistributions(db, facts),
      (error: unknown) => errorOf(error instanceof BaseError ? new Error(error.shortMessage) : error),
    ),
  ]);
  const lastCommitted = last === undefined ? null : ((await findBatch(db, last)) ?? null);
  return { batches, pendingPlays, lastCommitted, chain, ...(onChain === undefined ? {} : { roles: onChain }), ...(holders === undefined ? {} : { distributions: holders }) };
}

/** The status as the CLI prints it, one fact per line. */
export function formatStatus(status: ReadStatusReturnType): string[] {
  const { batches, pendingPlays, lastCommitted, chain, roles, distributions } = status;
  const lines = [
    `batches: ${Object.entries(batches).map(([name, count]) => `${name} ${count}`).join(", ")}`,
    `pending plays: ${pendingPlays}`,
    lastCommitted === null
      ? "last committed batch: none"
      : `last committed batch: ${lastCommitted.id} (${lastCommitted.plays} plays, cid ${lastCommitted.cid}, tx ${lastCommitted.txHash}, block ${lastCommitted.block}, at ${lastCommitted.committedAt})`,
    "nextBatchId" in chain ? `chain nextBatchId: ${chain.nextBatchId}` : `chain nextBatchId: unavailable (${chain.error})`,
  ];
  lines.push(...formatDistributions(distributions));
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

function formatDistributions(report: ReadStatusReturnType["distributions"]): string[] {
  if (report === undefined) return [];
  if ("error" in report) return [`holder distributions: unavailable (${report.error})`];
  const lines = [
    `holder distributions: period ${report.currentPeriod} (${report.periodSeconds} s each); rows ${Object.entries(report.rows).map(([name, count]) => `${name} ${count}`).join(", ")}`,
  ];
  for (const c of report.creators) {
    const mine = c.lastByRelayer === null ? "none by this relayer" : `relayer's last: period ${c.lastByRelayer.period} ${c.lastByRelayer.status}${c.lastByRelayer.amount === null ? "" : ` ${c.lastByRelayer.amount}`}`;
    lines.push(`holders of ${c.creator}: share ${c.shareBps} bps, accrued ${c.accrued}, last period distributed ${c.lastPeriod ?? "none"} (${mine}), next ${c.due ? "due now" : `at ${c.nextDueAt}`}`);
  }
  return lines;
}
