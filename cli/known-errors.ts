import { ConfigError } from "../lib/errors.ts";
import { CliError } from "./campaigns-context.ts";

/** The fields Node puts on a system error (`listen EADDRINUSE`, `connect ECONNREFUSED`, `open ENOENT`). */
interface SystemError {
  code?: string;
  address?: string;
  port?: number;
  path?: string;
}

/** Well-known ports, to name the service a refused connection was meant for. */
const SERVICES: Record<number, string> = {
  5432: "PostgreSQL (DATABASE_URL)",
  6379: "Redis (REDIS_URL)",
};

/**
 * The one line an operator needs for a condition they can meet and fix (the embedded database held by another
 * process, a port in use, a server not answering, a missing file): what happened and what to do. Undefined
 * for anything else, which is a bug and keeps its stack trace.
 */
export function knownCondition(error: unknown): string | undefined {
  // DataDirInUseError by name: importing lib/db would load Prisma into every command, `--help` included
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    (error as Error)?.name === "DataDirInUseError"
  )
    return (error as Error).message;
  for (const cause of causesOf(error)) {
    const found = systemCondition(cause as SystemError) ?? prismaCondition(cause);
    if (found) return found;
  }
  return undefined;
}

/** The error, its `cause` chain and an AggregateError's errors (fetch and net wrap the system error so). */
function causesOf(error: unknown, depth = 0): unknown[] {
  if (!(error instanceof Error) || depth > 5) return [];
  const nested = error instanceof AggregateError ? error.errors : [];
  return [error, ...[error.cause, ...nested].flatMap((e) => causesOf(e, depth + 1))];
}

function systemCondition(error: SystemError): string | undefined {
  const where = error.port ? `${error.address ?? "localhost"}:${error.port}` : error.address;
  switch (error.code) {
    case "EADDRINUSE":
      return `port ${error.port ?? "?"} on ${error.address ?? "this machine"} is already in use (another rapport start?): stop that process, or set PORT to a free port`;
    case "ECONNREFUSED":
      return `nothing answers at ${where}${error.port && SERVICES[error.port] ? `, where ${SERVICES[error.port]} should be` : ""}: start it, or correct the address`;
    case "ENOENT":
      return error.path ? `no such file or folder: ${error.path}` : undefined;
    case "EACCES":
    case "EPERM":
      return error.path ? `permission denied: ${error.path}` : undefined;
    case "EISDIR":
      return error.path ? `${error.path} is a folder, not a file` : undefined;
    default:
      return undefined;
  }
}

/** Prisma's "Can't reach database server at `host:port`" (P1001), from the client or the migration engine. */
function prismaCondition(error: unknown): string | undefined {
  const reach = /Can't reach database server at `?([^`\s]+)`?/.exec(
    error instanceof Error ? error.message : "",
  );
  return reach
    ? `cannot reach PostgreSQL at ${reach[1]}: start it, or correct DATABASE_URL (unset it to use the embedded database)`
    : undefined;
}

/**
 * Ends the command on an error: one line on stderr for a known condition, the stack trace for a bug; exit
 * code 1 either way.
 */
export function failCommand(name: string, error: unknown): never {
  const known = knownCondition(error);
  const text = known ?? (error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.stderr.write(`${name}: ${text}\n`);
  process.exit(1);
}
