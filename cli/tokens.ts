import { Command, Option } from "commander";
import {
  API_SCOPES,
  type ApiScope,
  createApiToken,
  listApiTokens,
  revokeApiToken,
  unknownScopes,
} from "../lib/api-tokens.ts";
import { runCommand } from "./campaigns.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { formatMinute } from "./format.ts";
import { renderTable } from "./table.ts";

/** `rapport tokens create|list|revoke`: API tokens for other systems (`Authorization: Bearer rpt_…`). */
export function tokensCommand(): Command {
  const command = new Command("tokens").description(
    "API tokens for other systems: create (shown once), list, revoke",
  );
  command
    .command("create")
    .description("create a token; prints it once on stdout (only its hash is kept)")
    .argument("<name>", "what it is for, e.g. 'phone system'")
    .addOption(
      new Option("--scope <scope...>", `what it may do: ${API_SCOPES.join(", ")}`).makeOptionMandatory(),
    )
    .addHelpText(
      "after",
      "\nExample:\n  $ rapport tokens create 'call centre' --scope customers:read calls:write\n",
    )
    .action((name: string, opts: { scope: string[] }) =>
      runCommand("tokens create", true, async (ctx) => {
        const scopes = opts.scope
          .flatMap((s) => s.split(","))
          .map((s) => s.trim())
          .filter(Boolean);
        const unknown = unknownScopes(scopes);
        if (unknown.length > 0) {
          throw new CliError(`unknown scope ${unknown.join(", ")}: use ${API_SCOPES.join(", ")}`);
        }
        const c = ctx as DbCommandContext;
        const created = await createApiToken(c.db, {
          name,
          scopes: scopes as ApiScope[],
          createdBy: c.actor ?? "cli",
          at: new Date(c.clock.now()),
        });
        c.out.stdout.write(`${created.token}\n`);
        c.out.stderr.write(
          `token "${name}" (${created.prefix}…) created with ${scopes.join(", ")}: copy it now, it is not shown again\n`,
        );
        return 0;
      }),
    );
  command
    .command("list")
    .description("every token: prefix, name, scopes, created, last used, revoked")
    .action(() =>
      runCommand("tokens list", true, async (ctx) => {
        const c = ctx as DbCommandContext;
        const tokens = await listApiTokens(c.db, "asc");
        if (tokens.length === 0) {
          c.out.stderr.write("no API tokens yet: rapport tokens create <name> --scope …\n");
          return 0;
        }
        const day = (d: Date | null) => (d ? formatMinute(d) : "-");
        c.out.stdout.write(
          renderTable(
            ["prefix", "name", "scopes", "created", "by", "last used", "revoked"].map((header) => ({
              header,
            })),
            tokens.map((t) => [
              `${t.prefix}…`,
              t.name,
              t.scopes.join(" "),
              day(t.createdAt),
              t.createdBy,
              day(t.lastUsedAt),
              day(t.revokedAt),
            ]),
            { style: c.out.style },
          ),
        );
        return 0;
      }),
    );
  command
    .command("revoke")
    .description("revoke a token at once (by its prefix, as `tokens list` shows it, or its id)")
    .argument("<prefix-or-id>")
    .action((which: string) =>
      runCommand("tokens revoke", true, async (ctx) => {
        const c = ctx as DbCommandContext;
        const ok = await revokeApiToken(
          c.db,
          which.replace(/…$/, ""),
          c.actor ?? "cli",
          new Date(c.clock.now()),
        );
        if (!ok) throw new CliError(`no live token ${which} (see rapport tokens list)`);
        c.out.stderr.write(`token ${which} revoked\n`);
        return 0;
      }),
    );
  return command;
}
