import { Prisma } from "./generated/client.ts";

/**
 * True when `error` is a unique-constraint violation: Prisma's P2002 from a model query, or PostgreSQL's
 * 23505 surfacing through a raw query (`$executeRaw`), on PostgreSQL and PGlite alike. Use it to turn a lost
 * insert race ("already stored") into a value instead of a failure.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === "P2002") return true;
  // Raw queries report driver errors as P2010 with the adapter's error kind (and the SQLSTATE) in meta.
  const meta = JSON.stringify(error.meta ?? {});
  return meta.includes("UniqueConstraintViolation") || meta.includes('"23505"');
}
