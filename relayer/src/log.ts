import { pino, type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger } from "pino";

/** The levels `LOG_LEVEL` takes (pino's, plus `silent`). */
export const LOG_LEVELS = ["silent", "fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type CreateLoggerParameters = {
  level?: LogLevel;
  /** Human-readable colored lines instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
};

/**
 * The relayer's one logger: JSON lines (one object per line, `msg` plus fields such as `reqId`, `batchId`,
 * `sessionId`, `durationMs`) for log collectors, pretty lines on a terminal. Synchronous, no worker thread: a
 * transport thread would cost each process its own heap.
 */
export function createLogger({ level = "info", pretty: usePretty = process.stdout.isTTY === true, destination }: CreateLoggerParameters = {}): Logger {
  const options = { level, base: { pid: process.pid }, name: "relayer" };
  if (usePretty) return pino(options, pretty({ sync: true, colorize: true, ignore: "pid,name", translateTime: "SYS:HH:MM:ss.l", ...(destination === undefined ? {} : { destination }) }));
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

/**
 * A logger whose lines reach `write` as their plain message, for callers that hand in a line callback (tests, the
 * CLI's injected stdout). Fields are dropped; the level still filters.
 */
export function messageLogger(write: (message: string) => void, level: LogLevel = "info"): Logger {
  return pino(
    { level, base: undefined, timestamp: false },
    {
      write(line: string) {
        const { msg } = JSON.parse(line) as { msg?: unknown };
        write(typeof msg === "string" ? msg : "");
      },
    },
  );
}

/** Ids the line callbacks' messages name, lifted into fields so log queries need no text search. */
const FIELDS: readonly [RegExp, (match: RegExpExecArray) => Record<string, unknown>][] = [
  [/\bbatch(?:es committed:|=| )\s*([0-9][0-9, ]*)/, (m) => ({ batchIds: ids(m[1]) })],
  [/\bsettlements settled:\s*([0-9][0-9, ]*)/, (m) => ({ settlementIds: ids(m[1]) })],
  [/\bsession (0x[0-9a-f]{64})/, (m) => ({ sessionId: m[1] })],
];

function ids(list: string | undefined): string[] {
  return (list ?? "").split(/[, ]+/).filter((id) => id !== "");
}

/**
 * The `log: (message) => void` callbacks the batcher, the stream and the lease take, writing to `logger`: batch,
 * settlement and session ids the message names become fields; warnings and failures log at warn.
 */
export function lineSink(logger: Logger): (message: string) => void {
  return (message) => {
    const fields: Record<string, unknown> = {};
    for (const [pattern, lift] of FIELDS) {
      const match = pattern.exec(message);
      if (match !== null) Object.assign(fields, lift(match));
    }
    if (/^warning:|failed|error|lost/i.test(message)) logger.warn(fields, message);
    else logger.info(fields, message);
  };
}
