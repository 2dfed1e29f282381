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

/** The `log: (message) => void` callbacks the batcher, the stream and the lease still take, writing to `logger`. */
export function lineSink(logger: Logger): (message: string) => void {
  return (message) => {
    // Those callbacks mark their warnings in the text; keep them visible at LOG_LEVEL=warn.
    if (/^warning:|failed|error/i.test(message)) logger.warn(message);
    else logger.info(message);
  };
}
