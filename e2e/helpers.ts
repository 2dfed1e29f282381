/**
 * npm commands as a user types them, as child processes: `npm start` in its own process group (so the test can
 * send it Ctrl-C's SIGINT the way a terminal does, to the whole foreground group), `npm run …` to completion.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { basename, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

/** The npm that runs this test (npm run test:e2e), else the one on PATH. */
function npmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && basename(execPath).startsWith("npm-cli")) return [process.execPath, [execPath]];
  return ["npm", []];
}

export type NpmProcess = {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first output line matching `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGINT to the process group (a terminal's Ctrl-C); resolves with how it exited. */
  interrupt(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<void>;
};

export function startNpm(args: string[], env: Record<string, string>): NpmProcess {
  const [command, prefix] = npmCommand();
  const child = spawn(command, [...prefix, ...args], { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once("exit", (code, signal) => done({ code, signal })));
  child.once("exit", () => {
    for (const listener of listeners) listener();
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => text,
    waitFor(pattern, timeoutMs) {
      return new Promise((done, fail) => {
        const check = () => {
          const line = text.split("\n").find((candidate) => pattern.test(candidate));
          if (line !== undefined) finish(() => done(line));
          else if (!running()) finish(() => fail(new Error(`npm ${args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${text.slice(-6_000)}`)));
        };
        const timer = setTimeout(() => finish(() => fail(new Error(`npm ${args.join(" ")}: no ${pattern} within ${timeoutMs} ms:\n${text.slice(-6_000)}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async interrupt(timeoutMs) {
      if (running()) process.kill(-child.pid!, "SIGINT");
      const timer = setTimeout(() => {
        if (running()) process.kill(-child.pid!, "SIGKILL");
      }, timeoutMs);
      const how = await exited;
      clearTimeout(timer);
      return how;
    },
    async kill(signal) {
      if (!running()) return;
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // gone
      }
      await exited;
    },
  };
}

/** Runs `npm <args>` to completion; resolves with its exit code and output (killed after `timeoutMs`). */
export async function runNpm(args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const npm = startNpm(args, env);
  const timer = setTimeout(() => void npm.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((done) => npm.child.once("exit", (exitCode) => done(exitCode)));
  clearTimeout(timer);
  return { code, output: npm.output() };
}
