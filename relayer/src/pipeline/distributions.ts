/**
 * Quarterly distribution of creators' holder revenue: for each creator with a holder share, a coin and revenue accrued,
 * once per vault distribution period, record (creator, period) → send `distributeHolderRevenue` → confirm. The unique
 * (creator, period) row makes it once per period across crashes and processes; a resend keeps the recorded nonce while
 * it is unused, as the batch pipeline does; and the vault itself refuses a second distribution in a period, so even a
 * row lost with its database could not pay twice.
 */
import { ChainRevertError } from "../chain/errors.js";
import type { DistributedEvent, HolderDistributionChain } from "../chain/distributions.js";
import type { LogLine } from "../log.js";
import type { Queryable } from "../repo/db/database.js";
import {
  distributionStatus,
  insertDistribution,
  loadDistribution,
  markDistributed,
  markSkipped,
  recordDistributionTransaction,
  reopenDistribution,
  unfinishedDistributionIds,
  type DistributionRecord,
  type DistributionStatus,
} from "../repo/distributions.js";
import { DistributionStateError } from "../repo/errors.js";
import { createCycleRunner, runPipeline, type PipelineLease, type StepHooks, type StepList } from "./machine.js";
import { driveTransaction } from "./transactions.js";
import type { Address } from "viem";

export type { DistributionStatus } from "../repo/distributions.js";
export type DistributionStep = "record" | "submit" | "confirm";
export const DISTRIBUTION_STEPS: readonly DistributionStep[] = ["record", "submit", "confirm"];

export type DistributionContext = {
  db: Queryable;
  chain: HolderDistributionChain;
};

/** The distribution pipeline as the step machine runs it: recorded → submitted → distributed (or skipped). */
function distributionSteps(ctx: DistributionContext): StepList<DistributionStatus, DistributionStep> {
  return {
    next: { recorded: "submit", submitted: "confirm" },
    final: ["distributed", "skipped"],
    status: (id) => distributionStatus(ctx.db, id),
    async run(step, id) {
      if (step === "submit") await submitDistribution(ctx, id);
      else if (step === "confirm") await confirmDistribution(ctx, id);
      else throw new DistributionStateError(`distribution ${id}: ${step} is not a step of a recorded distribution`);
    },
    stuck: (id, status) => new DistributionStateError(`distribution ${id} is ${status}`),
  };
}

/** A creator whose holder revenue can be distributed now, with the period it would be distributed in. */
export type DueDistribution = { creator: Address; period: bigint; accrued: bigint };

/**
 * The creators due now: a holder share was set (or `only` names them), revenue accrued, and the vault's next period
 * for them has come. Read from the chain, which is the authority on what is accrued and when.
 */
export async function dueDistributions(chain: HolderDistributionChain, only?: readonly Address[]): Promise<DueDistribution[]> {
  const [creators, period] = await Promise.all([only === undefined ? chain.creatorsWithShare() : Promise.resolve([...only]), chain.currentPeriod()]);
  const due: DueDistribution[] = [];
  for (const creator of creators) {
    const pool = await chain.pool(creator);
    if (pool.accrued > 0n && pool.nextPeriod <= period) due.push({ creator, period, accrued: pool.accrued });
  }
  return due;
}

/** Submit: sends the distribution and records hash and nonce before anything waits on it; a refusal is sorted out. */
export async function submitDistribution(ctx: DistributionContext, id: bigint): Promise<void> {
  const distribution = await expectStatus(ctx, id, "recorded");
  let sent;
  try {
    sent = await ctx.chain.distribute({ creator: distribution.creator });
  } catch (error) {
    if (error instanceof ChainRevertError) {
      await settleRefusal(ctx, distribution, error);
      return;
    }
    throw error;
  }
  await recordDistributionTransaction(ctx.db, id, "recorded", sent);
}

/**
 * The vault refused: too early means this period's distribution already happened (a send of ours that a crash kept
 * from being recorded, or another caller's: it is permissionless), found in its event; nothing accrued means there
 * is nothing to do. Anything else is a real failure and is retried next cycle.
 */
async function settleRefusal(ctx: DistributionContext, distribution: DistributionRecord, error: ChainRevertError): Promise<void> {
  if (error.errorName === "BeatStreamVaultDistributionTooEarly") {
    const found = await ctx.chain.findDistribution(distribution.creator, distribution.period);
    if (found !== undefined) await markDistributed(ctx.db, distribution.id, paidOf(found));
    else await markSkipped(ctx.db, distribution.id, `already distributed in period ${distribution.period}: ${error.message}`);
    return;
  }
  if (error.errorName === "BeatStreamVaultNothingToDistribute") {
    await markSkipped(ctx.db, distribution.id, error.message);
    return;
  }
  throw error;
}

/**
 * Confirm: drives the recorded transaction to a successful receipt — waiting, or resending with the same nonce while
 * it is unused — and records the amount the vault's event reports. When the period's distribution is found on chain
 * another way (an earlier send mined, another caller), that is recorded instead.
 */
export async function confirmDistribution(ctx: DistributionContext, id: bigint): Promise<void> {
  const distribution = await expectStatus(ctx, id, "submitted");
  if (distribution.txHash === null || distribution.txNonce === null) throw new DistributionStateError(`distribution ${id} is submitted without a transaction`);
  const onChain = async () => {
    const found = await ctx.chain.findDistribution(distribution.creator, distribution.period);
    if (found === undefined) return false;
    await markDistributed(ctx.db, id, paidOf(found));
    return true;
  };
  const receipt = await driveTransaction(ctx.chain, { hash: distribution.txHash, nonce: distribution.txNonce }, {
    done: onChain,
    async resend({ nonce }) {
      try {
        return await ctx.chain.distribute({ creator: distribution.creator, nonce });
      } catch (error) {
        // Refused on resend: back to recorded, where submit sorts the refusal out.
        if (error instanceof ChainRevertError) await reopenDistribution(ctx.db, id, error.message.slice(0, 1000));
        throw error;
      }
    },
    record: (sent) => recordDistributionTransaction(ctx.db, id, "submitted", sent),
    onTimeout: "throw",
    exhausted: (hash, rounds) => new DistributionStateError(`distribution ${id}: transaction ${hash} still not successful after ${rounds} sends`),
  });
  if (receipt === undefined) return;
  const event = ctx.chain.distributedIn(receipt);
  if (event === undefined) throw new DistributionStateError(`distribution ${id}: receipt ${receipt.hash} carries no HolderRevenueDistributed event`);
  await markDistributed(ctx.db, id, paidOf(event));
}

function paidOf(event: DistributedEvent) {
  return {
    amount: event.amount,
    coin: event.coin,
    receipt: event.hash === undefined || event.blockNumber === undefined ? undefined : { hash: event.hash, blockNumber: event.blockNumber },
  };
}

async function expectStatus(ctx: DistributionContext, id: bigint, status: DistributionStatus): Promise<DistributionRecord> {
  const distribution = await loadDistribution(ctx.db, id);
  if (distribution.status !== status) throw new DistributionStateError(`distribution ${id} is ${distribution.status}, not ${status}`);
  return distribution;
}

export type RunDistributionCycleParameters = Omit<StepHooks<DistributionStep>, "observeStep"> & {
  ctx: DistributionContext;
  /** Only these creators (the CLI's --creator); default every creator that set a holder share. */
  creators?: readonly Address[];
};

export type RunDistributionCycleReturnType = { distributed: bigint[]; skipped: bigint[]; stopped: boolean };

/**
 * One cycle: finishes every unfinished distribution (a crash leaves them recorded or submitted), then records and
 * drives one per creator due now. A (creator, period) recorded before is not recorded again.
 */
export async function runDistributionCycle({ ctx, creators, ...hooks }: RunDistributionCycleParameters): Promise<RunDistributionCycleReturnType> {
  let due: DueDistribution[] | undefined;
  const record = async (): Promise<bigint | undefined> => {
    due ??= await dueDistributions(ctx.chain, creators);
    for (let next = due.shift(); next !== undefined; next = due.shift()) {
      const id = await insertDistribution(ctx.db, next.creator, next.period);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const run = await runPipeline({
    list: distributionSteps(ctx),
    unfinished: () => unfinishedDistributionIds(ctx.db),
    seal: { step: "record", run: record },
    maxSeals: Number.MAX_SAFE_INTEGER,
    ...hooks,
  });
  return {
    distributed: run.finished.filter(({ status }) => status === "distributed").map(({ id }) => id),
    skipped: run.finished.filter(({ status }) => status === "skipped").map(({ id }) => id),
    stopped: run.stopped,
  };
}

export type DistributionScheduler = {
  start(): void;
  /** Runs one cycle now, after any running one; `leased: false` when another process holds the lease. */
  runCycle(): Promise<RunDistributionCycleReturnType & { leased: boolean }>;
  stop(): Promise<void>;
};

export type CreateDistributionSchedulerParameters = {
  ctx: DistributionContext;
  /** How often due creators are looked for; a distribution itself happens at most once per vault period. */
  intervalMs: number;
  /** The batcher's lease: one process sends, the one that owns the account's nonces. */
  lease?: PipelineLease;
  afterStep?: (step: DistributionStep, id: bigint) => Promise<void>;
  log?: LogLine;
};

/** Looks for due distributions every `intervalMs`; cycles never overlap, and a failed one is retried next time. */
export function createDistributionScheduler({ ctx, intervalMs, lease, afterStep, log = () => {} }: CreateDistributionSchedulerParameters): DistributionScheduler {
  let interval: NodeJS.Timeout | undefined;
  const runner = createCycleRunner<undefined, RunDistributionCycleReturnType>({
    async cycle(_input, shouldStop) {
      const result = await runDistributionCycle({ ctx, shouldStop, ...(afterStep === undefined ? {} : { afterStep }) });
      if (result.distributed.length > 0) log(`holder revenue distributed: ${result.distributed.join(", ")}`, { distributionIds: result.distributed.map(String) });
      return result;
    },
    lease,
    stopped: () => ({ distributed: [], skipped: [], stopped: true }),
    notLeased: () => ({ distributed: [], skipped: [], stopped: false }),
  });
  const background = () => {
    runner.run(undefined).catch((error) => log(`holder distribution cycle failed, retried next time: ${error instanceof Error ? error.message : String(error)}`, { level: "warn", err: error }));
  };
  return {
    start() {
      if (interval !== undefined || runner.stopping()) return;
      interval = setInterval(background, intervalMs);
      interval.unref();
    },
    runCycle: () => runner.run(undefined),
    async stop() {
      clearInterval(interval);
      await runner.stop();
    },
  };
}
