/**
 * One crash-safe step machine for every job that goes seal → (store) → submit → confirm: play batches and voucher
 * settlements are two step lists run by it. A record's status in the database is the only state: each step reads it,
 * does its work, and records the next status, so a process killed anywhere (even by SIGKILL) resumes at the step the
 * status names. The machine itself never writes: it reads a status, picks the step, runs it, and calls the hooks.
 */

/** What the machine needs to know of a pipeline: how to read a record's status and what to run from each. */
export type StepList<Status extends string, Step extends string> = {
  /** The step that moves a record on from each status; a status not here is final. */
  next: Partial<Record<Status, Step>>;
  /** Final statuses: a record in one of these is done. */
  final: readonly Status[];
  /** The recorded status of record `id`. */
  status(id: bigint): Promise<Status>;
  /** Runs `step` on record `id`; the step records the status it reaches. */
  run(step: Step, id: bigint): Promise<void>;
  /** The error for a record found in a status that is neither final nor has a step. */
  stuck(id: bigint, status: Status): Error;
};

export type StepHooks<Step extends string> = {
  /** Checked between steps: a shutdown lets the current step finish, then stops. */
  shouldStop?: () => boolean;
  /** Times each step (seconds), successful or not; `id` is its record when known (a seal that failed made none). */
  observeStep?: (step: Step, seconds: number, id: bigint | undefined) => void;
  /** Awaited after each step that succeeded on a record; the crash tests' RELAYER_TEST_HALT_AFTER hangs here. */
  afterStep?: (step: Step, id: bigint) => Promise<void>;
};

/**
 * Runs `run` as step `step`: timed whether it succeeds or not, then `afterStep` on success. `id` names the record;
 * without it, a step that returns a bigint (a seal returning the record it made) names it, and a step that made
 * nothing (undefined) has no record to report.
 */
export async function timeStep<Step extends string, T>(hooks: StepHooks<Step>, step: Step, run: () => Promise<T>, id?: bigint): Promise<T> {
  const started = performance.now();
  let record = id;
  let value: T;
  try {
    value = await run();
    record ??= typeof value === "bigint" ? value : undefined;
  } finally {
    hooks.observeStep?.(step, (performance.now() - started) / 1000, record);
  }
  if (hooks.afterStep !== undefined && record !== undefined) await hooks.afterStep(step, record);
  return value;
}

/**
 * Moves record `id` step by step from its recorded status to a final one, and returns that status; undefined when
 * `shouldStop` stopped it between steps.
 */
export async function advance<Status extends string, Step extends string>(list: StepList<Status, Step>, id: bigint, hooks: StepHooks<Step> = {}): Promise<Status | undefined> {
  for (;;) {
    const status = await list.status(id);
    if (list.final.includes(status)) return status;
    if (hooks.shouldStop?.() === true) return undefined;
    const step = list.next[status];
    if (step === undefined) throw list.stuck(id, status);
    await timeStep(hooks, step, () => list.run(step, id), id);
  }
}

export type RunPipelineParameters<Status extends string, Step extends string> = StepHooks<Step> & {
  list: StepList<Status, Step>;
  /** Records begun but not final, in the order they must be finished (the chain takes batches only in order). */
  unfinished(): Promise<bigint[]>;
  /** The step that makes a new record from waiting work; undefined when nothing waits. */
  seal: { step: Step; run(): Promise<bigint | undefined> };
  /** Most new records one run seals (default 1). */
  maxSeals?: number;
  /** Milliseconds to wait between two seals, asked once after the unfinished records are done (default 0). */
  paceMs?: () => Promise<number>;
  /** How a pause between seals is waited out. */
  pause?: (ms: number) => Promise<void>;
};

export type RunPipelineReturnType<Status extends string> = {
  /** Every record this run brought to a final status, in order, with that status. */
  finished: { id: bigint; status: Status }[];
  /** Records this run sealed. */
  sealed: bigint[];
  /** A shutdown stopped the run between steps. */
  stopped: boolean;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One run of a pipeline: finishes every unfinished record (a crash leaves them at some recorded step), then seals
 * new records from the waiting work, each driven to a final status before the next is sealed, until nothing waits
 * or `maxSeals` were made. A run that fails anywhere is simply run again: every step recorded what it did.
 */
export async function runPipeline<Status extends string, Step extends string>(parameters: RunPipelineParameters<Status, Step>): Promise<RunPipelineReturnType<Status>> {
  const { list, unfinished, seal, maxSeals = 1, paceMs, pause = sleep, ...hooks } = parameters;
  const result: RunPipelineReturnType<Status> = { finished: [], sealed: [], stopped: false };
  const drive = async (id: bigint): Promise<boolean> => {
    const status = await advance(list, id, hooks);
    if (status === undefined) return false;
    result.finished.push({ id, status });
    return true;
  };
  for (const id of await unfinished()) {
    if (!(await drive(id))) return { ...result, stopped: true };
  }
  const pace = paceMs === undefined ? 0 : await paceMs();
  for (let made = 0; made < maxSeals; made++) {
    if (made > 0 && pace > 0) await pause(pace);
    if (hooks.shouldStop?.() === true) return { ...result, stopped: true };
    const id = await timeStep(hooks, seal.step, () => seal.run());
    if (id === undefined) break;
    result.sealed.push(id);
    if (!(await drive(id))) return { ...result, stopped: true };
  }
  return result;
}

/**
 * Who may run a pipeline. In one process the runner's own queue is enough; several processes on one PostgreSQL pass
 * a lease here (an advisory lock that frees itself when its holder's session dies).
 */
export type PipelineLease = {
  acquire(): Promise<boolean>;
  release(): Promise<void>;
};

export type CreateCycleRunnerParameters<Input, Result> = {
  /** One cycle; `shouldStop` turns true once `stop` was called. */
  cycle(input: Input, shouldStop: () => boolean): Promise<Result>;
  lease?: PipelineLease | undefined;
  /** What a cycle asked for after `stop` gives (return a result, or throw). */
  stopped(): Result;
  /** What a cycle gives when another process holds the lease. */
  notLeased(): Result;
  /** Called with a cycle's error before it is rethrown (to record it where the next cycle resumes). */
  onFailure?: (error: unknown) => Promise<void>;
};

export type CycleRunner<Input, Result> = {
  /** Runs one cycle after any cycle already running in this process (never two at once). */
  run(input: Input): Promise<Result & { leased: boolean }>;
  /** Lets the running cycle finish its current step, then refuses new cycles. */
  stop(): Promise<void>;
  /** Whether `stop` was called. */
  stopping(): boolean;
};

/** The runner of one pipeline in one process: cycles queue behind each other under the lease, and `stop` drains them. */
export function createCycleRunner<Input, Result>({ cycle, lease, stopped, notLeased, onFailure }: CreateCycleRunnerParameters<Input, Result>): CycleRunner<Input, Result> {
  let queue: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const shouldStop = () => stopping;
  const once = async (input: Input): Promise<Result & { leased: boolean }> => {
    if (stopping) return { ...stopped(), leased: false };
    if (lease !== undefined && !(await lease.acquire())) return { ...notLeased(), leased: false };
    try {
      return { ...(await cycle(input, shouldStop)), leased: true };
    } catch (error) {
      await onFailure?.(error);
      throw error;
    } finally {
      await lease?.release();
    }
  };
  return {
    run(input) {
      const run = queue.then(() => once(input), () => once(input));
      queue = run.catch(() => {});
      return run;
    },
    async stop() {
      stopping = true;
      await queue;
    },
    stopping: shouldStop,
  };
}

export type BackoffParameters = {
  /** Consecutive failures so far (0: none). */
  failures: number;
  /** The delay after no failure, and the first step of the doubling. */
  baseMs: number;
  maxMs: number;
};

/** The delay before the next try: `baseMs` doubled per consecutive failure, never more than `maxMs`. */
export function backoffDelay({ failures, baseMs, maxMs }: BackoffParameters): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
}

export type HaltAfterStepParameters<Step extends string> = {
  /** The environment variable, e.g. `RELAYER_TEST_HALT_AFTER`; its `_HALT_AFTER` becomes `_HALTED` in the line printed. */
  variable: string;
  value: string | undefined;
  /** The steps it may name. */
  steps: readonly Step[];
  /** Who stops, for the start-up line ("the batcher"). */
  who: string;
  /** What the record is called in the halted line ("batch"). */
  record: string;
  log: (message: string) => void;
};

/**
 * TEST ONLY — never set it in production. An `afterStep` hook that, after the named step has been recorded, prints
 * `<PREFIX>_HALTED step=<step> <record>=<id>` and never settles, so the crash tests can SIGKILL the process at exactly
 * that point; the pipeline (and its queue) stays there. Undefined when the variable is unset.
 */
export function haltAfterStep<Step extends string>({ variable, value, steps, who, record, log }: HaltAfterStepParameters<Step>) {
  if (value === undefined || value === "") return undefined;
  const step = steps.find((name) => name === value);
  if (step === undefined) throw new Error(`${variable}=${value}: expected one of ${steps.join(", ")}`);
  log(`${variable}=${step}: test-only, ${who} stops after that step`);
  const halted = variable.replace(/_HALT_AFTER$/, "_HALTED");
  return async (done: Step, id: bigint): Promise<void> => {
    if (done !== step) return;
    log(`${halted} step=${step} ${record}=${id}`);
    await new Promise<never>(() => {});
  };
}
