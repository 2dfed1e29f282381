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

/** What a log line is about, as fields for log queries (`batchIds`, `settlementIds`, `sessionId`, `err`, ...); `level` defaults to info. */
export type LogFields = { level?: "info" | "warn" | "error"; [field: string]: unknown };

/**
 * How the pipeline, the lease and the stream log: the message as printed (the crash tests, the stack scripts and the
 * CLI's injected stdout read it as text), then its fields. Message first, so a callback that wants the text only is
 * `(line) => ...`.
 */
export type LogLine = (message: string, fields?: LogFields) => void;

/** A `LogLine` writing to `logger`: the fields become the JSON line's fields, at their `level`. */
export function lineSink(logger: Logger): LogLine {
  return (message, { level = "info", ...fields } = {}) => logger[level](fields, message);
}
