/**
 * Child processes: each in its own process group (so a stop reaches whatever it forks, and the terminal's Ctrl-C
 * reaches only `npm start`, which then stops them in order). The stack's children also append their output to a
 * log file and stop with SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createConnection } from "node:net";
import { ROOT } from "./config.js";

export type GroupChild = {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Its output so far, stdout and stderr interleaved (the last `keepChars` characters). */
  output(): string;
  /** Resolves with the first output line matching `pattern`; rejects when the child exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with how it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** Sends `signal` to its whole process group (nothing when the group is gone). */
  signal(signal: NodeJS.Signals): void;
};

export type SpawnInGroupParameters = {
  name: string;
  /** Defaults to the Node running this script (Node 22 everywhere). */
  command?: string;
  args: string[];
  cwd?: string;
  /** The child's whole environment; unset (undefined) variables are left out. */
  env: Record<string, string | undefined>;
  /** Output kept for output() and error messages; unbounded by default. */
  keepChars?: number;
  /** Sees every chunk of output as it arrives. */
  onOutput?: (piece: string) => void;
};

/**
 * A child in its own process group (a signal to the group reaches whatever it forks; the terminal's Ctrl-C does not
 * reach it), its output collected and searchable. The stack, the end-to-end test and the crash tests build on it.
 */
export function spawnInGroup({ name, command = process.execPath, args, cwd = ROOT, env, keepChars = Number.POSITIVE_INFINITY, onOutput }: SpawnInGroupParameters): GroupChild {
  const child = spawn(command, args, { cwd, env: cleanEnv(env), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  const pid = child.pid;
  let text = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    const piece = chunk.toString();
    onOutput?.(piece);
    text += piece;
    if (text.length > keepChars) text = text.slice(-keepChars);
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid,
    process: child,
    output: () => text,
    exited,
    running,
    signal: (signal) => signalGroup(pid, signal),
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = text.split("\n").find((candidate) => pattern.test(candidate));
          if (line !== undefined) finish(() => resolve(line));
          else if (!running()) finish(() => reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${text.slice(-6_000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${text.slice(-6_000)}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

export type StackChild = GroupChild & {
  /** The last `chars` characters of its output. */
  tail(chars?: number): string;
  /** SIGTERM to its group, SIGKILL after `graceMs`; resolves once it has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
};

export type SpawnChildParameters = {
  name: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** Every line of output goes here. */
  logFile: string;
  /** Also copy output lines to this function (prefixed by the caller). */
  echo?: (line: string) => void;
};

/** Starts `node <args>` for the stack, its output appended to `logFile`. */
export function spawnChild({ name, args, env, logFile, echo }: SpawnChildParameters): StackChild {
  const log: WriteStream = createWriteStream(logFile, { flags: "a" });
  let partial = "";
  const child = spawnInGroup({
    name,
    args,
    env,
    // Keeps the last 64 KiB: enough to show why a child failed, bounded for a stack running for days.
    keepChars: 65_536,
    onOutput(piece) {
      log.write(piece);
      if (echo === undefined) return;
      const lines = (partial + piece).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) echo(line);
    },
  });
  void child.exited.then(() => log.end());
  let stopping: Promise<void> | undefined;
  return {
    ...child,
    tail: (chars = 4_000) => child.output().slice(-chars),
    stop(graceMs = 15_000) {
      return (stopping ??= (async () => {
        if (!child.running()) return;
        child.signal("SIGTERM");
        const killer = setTimeout(() => child.signal("SIGKILL"), graceMs);
        await child.exited;
        clearTimeout(killer);
        // Whatever the child forked and left behind in its group goes too.
        child.signal("SIGKILL");
      })());
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Drops unset variables (an explicit `undefined` would reach the child as the string "undefined"). */
function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** True when something accepts TCP connections on host:port (a port already taken). */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export type WaitForHttpParameters = {
  url: string;
  /** The answer counts as healthy when this returns true (default: status 200). */
  healthy?: (response: Response) => boolean;
  timeoutMs: number;
  /** Fails fast when this child exits while we wait. */
  child?: StackChild;
};

/** Polls `url` until it answers healthy. */
export async function waitForHttp({ url, healthy = (response) => response.status === 200, timeoutMs, child }: WaitForHttpParameters): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (healthy(response)) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (child !== undefined && child.process.exitCode !== null) throw new Error(`${child.name} exited while waiting for ${url}:\n${child.tail()}`);
    if (Date.now() > deadline) throw new Error(`${url} not healthy within ${timeoutMs} ms (last: ${last.slice(0, 300)})${child === undefined ? "" : `:\n${child.tail()}`}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
