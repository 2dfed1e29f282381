/**
 * npm commands as a user types them, as child processes: `npm start` in its own process group (so the test can
 * send it Ctrl-C's SIGINT the way a terminal does, to the whole foreground group), `npm run …` to completion.
 */
import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { spawnInGroup, type GroupChild } from "../scripts/stack/processes.js";

/** The npm that runs this test (npm run test:e2e), else the one on PATH. */
function npmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && basename(execPath).startsWith("npm-cli")) return [process.execPath, [execPath]];
  return ["npm", []];
}

export type NpmProcess = GroupChild & {
  /** SIGINT to the process group (a terminal's Ctrl-C); resolves with how it exited. */
  interrupt(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<void>;
};

export function startNpm(args: string[], env: Record<string, string>): NpmProcess {
  const [command, prefix] = npmCommand();
  const child = spawnInGroup({ name: `npm ${args.join(" ")}`, command, args: [...prefix, ...args], env: { ...process.env, ...env } });
  return {
    ...child,
    async interrupt(timeoutMs) {
      if (child.running()) child.signal("SIGINT");
      const timer = setTimeout(() => {
        if (child.running()) child.signal("SIGKILL");
      }, timeoutMs);
      const how = await child.exited;
      clearTimeout(timer);
      return how;
    },
    async kill(signal) {
      if (!child.running()) return;
      child.signal(signal);
      await child.exited;
    },
  };
}

/** Runs `npm <args>` to completion; resolves with its exit code and output (killed after `timeoutMs`). */
export async function runNpm(args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const npm = startNpm(args, env);
  const timer = setTimeout(() => void npm.kill("SIGKILL"), timeoutMs);
  const { code } = await npm.exited;
  clearTimeout(timer);
  return { code, output: npm.output() };
}

export type StopStackParameters = {
  /** The `npm start` under test, if it was started. */
  stack: NpmProcess | undefined;
  /** Process groups it reported (chain, relayer, indexer, app): killed too, in case `npm start` died first. */
  pids: readonly number[];
  /** The project root, whose deploy/deployments/<IGNITION_DEPLOYMENT_ID> the run wrote. */
  root: string;
  ignitionDeploymentId: string | undefined;
  /** The run's temporary directory. */
  dir: string | undefined;
};

/** Tears down what an e2e run started and wrote: the stack and every process group it named, its files. */
export async function stopStack({ stack, pids, root, ignitionDeploymentId, dir }: StopStackParameters): Promise<void> {
  await stack?.kill("SIGKILL");
  for (const pid of pids) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  if (ignitionDeploymentId !== undefined) await rm(join(root, "deploy", "deployments", ignitionDeploymentId), { recursive: true, force: true });
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}
