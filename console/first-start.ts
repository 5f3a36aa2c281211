import type { Db } from "../lib/db/index.ts";
import { hasStaffUsers } from "./staff.ts";

/** How the process that prints the hint runs. */
export interface FirstStartOptions {
  /** The secret of the first-start page (`/console/setup?token=…`), when the console serves it. */
  setupToken?: string;
  /**
   * The embedded database (PGlite) admits one process: `rapport staff add` can run only while Rapport is
   * stopped, so the hint says so.
   */
  embedded?: boolean;
}

const COMMAND = "`npx rapport staff add you@example.com --role admin`";

/**
 * The line `rapport start` prints while no staff account exists, saying how to create the first admin and
 * where to sign in; undefined once there is one. With a setup token, the first way is the link to the setup
 * page, which works beside the running process whatever the database.
 */
export async function firstStartHint(
  db: Db,
  publicUrl: string,
  options: FirstStartOptions = {},
): Promise<string | undefined> {
  if (await hasStaffUsers(db)) return undefined;
  const base = publicUrl.replace(/\/+$/, "");
  if (!options.setupToken) {
    return `No staff account yet: create the first admin with ${COMMAND}, then sign in at ${base}/console`;
  }
  const link = `${base}/console/setup?token=${options.setupToken}`;
  return options.embedded
    ? `No staff account yet: create the first admin at ${link} (or stop Rapport, run ${COMMAND} and start it again)`
    : `No staff account yet: create the first admin at ${link} or with ${COMMAND}, then sign in at ${base}/console`;
}
