import { redact, redactText } from './redact';

/** Log levels, least to most severe; `MACULA_LOG` picks the lowest one written (default `info`). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** Short origin of the lines, e.g. `main`, `web`. */
  readonly namespace: string;
  readonly level?: LogLevel;
  /** Where finished lines go; default stderr (stdout belongs to the CLI's output and the writer protocol). */
  readonly sink?: (line: string) => void;
  readonly now?: () => Date;
}

function levelFromEnv(): LogLevel {
  const wanted = process.env['MACULA_LOG'];
  return LOG_LEVELS.find((l) => l === wanted) ?? 'info';
}

/**
 * A line logger whose every message and field passes through redact(): callers may hand it whole requests or seeds
 * and no secret comes out. One line per call: `TIME LEVEL [namespace] message {fields}`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const min = LOG_LEVELS.indexOf(options.level ?? levelFromEnv());
  const sink = options.sink ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const write = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const extra = fields === undefined ? '' : ` ${JSON.stringify(redact(fields))}`;
    sink(`${now().toISOString()} ${level.toUpperCase()} [${options.namespace}] ${redactText(message)}${extra}`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
