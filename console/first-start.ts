import type { Db } from "../lib/db/index.ts";
import { hasStaffUsers } from "./staff.ts";

/**
 * The line `rapport start` prints while no staff account exists, saying how to create the first admin and
 * where to sign in; undefined once there is one.
 */
export async function firstStartHint(db: Db, publicUrl: string): Promise<string | undefined> {
  if (await hasStaffUsers(db)) return undefined;
  return (
    "No staff account yet: create the first admin with " +
    "`npx rapport staff add you@example.com --role admin`, " +
    `then sign in at ${publicUrl.replace(/\/+$/, "")}/console`
  );
}
