import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { decodeHeader } from "../bots/index.ts";
import { DEMO_PURCHASES, demoPurchaseEvent } from "../console/index.ts";
import type { Config } from "../lib/config.ts";
import { DataDirInUseError } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import { configuredOrGeneratedSecret } from "../lib/secrets.ts";
import { signBody } from "../lib/signature.ts";
import { createApp } from "./app.ts";
import { CliError } from "./campaigns-context.ts";

export { DEMO_PURCHASES };

/** The signed `POST /api/events` of one demo purchase, as a shop would post it. Returns its total and the answer. */
export async function postDemoPurchase(
  baseUrl: string,
  secret: string,
  orderId: string,
  purchase: (typeof DEMO_PURCHASES)[number],
): Promise<{ total: number; response: Response }> {
  const { total, event } = demoPurchaseEvent(orderId, purchase);
  const body = JSON.stringify(event);
  const response = await fetch(`${baseUrl}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": signBody(secret, body) },
    body,
  });
  return { total, response };
}

/**
 * `rapport demo`: posts three signed purchases to Rapport's real HTTP API, waits for the thank-you emails in
 * the outbox, and prints where they are. It uses the Rapport running from this folder when one answers on
 * HOST:PORT (the embedded database admits one process), else runs its own with every channel on the outbox.
 * Returns the .eml files.
 */
export async function runDemo(config: Config, log: Logger, timeoutMs = 60_000): Promise<string[]> {
  const running = await runningRapport(config);
  if (running) {
    if (config.RESEND_API_KEY)
      throw new CliError(
        `the Rapport running at ${running} sends email through Resend (RESEND_API_KEY is set) and the demo's customers are made up: stop it and run the demo alone (it writes to the outbox only)`,
      );
    const secret = configuredOrGeneratedSecret(
      config.RAPPORT_WEBHOOK_SECRET,
      config.dataDir,
      "webhook-secret",
    );
    process.stdout.write(`Rapport demo: using the Rapport running at ${running}\n`);
    return sendDemoPurchases(running, secret.value, config, timeoutMs);
  }
  const quiet = log.child({}, { level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL });
  const app = await createApp({
    config: { ...config, PORT: 0 },
    log: quiet,
    outboxOnly: true,
    bots: false,
  }).catch((error: unknown) => {
    if (error instanceof DataDirInUseError)
      throw new CliError(
        `the embedded database is in use by process ${error.pid}, but no Rapport answers at ${localUrl(config)}: if it is still starting, run the demo again once it is ready; else stop it (or delete ${error.lockFile} if no such process runs Rapport)`,
      );
    throw error;
  });
  try {
    return await sendDemoPurchases(app.url!, app.webhookSecret, config, timeoutMs);
  } finally {
    await app.close();
  }
}

/** Where a Rapport started from this folder listens: HOST:PORT, a wildcard host read as this machine. */
function localUrl(config: Config): string {
  const host = config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST === "::" ? "::1" : config.HOST;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.PORT}`;
}

/** The base URL of a Rapport answering `/readyz` on HOST:PORT, or undefined when none does. */
async function runningRapport(config: Config): Promise<string | undefined> {
  const url = localUrl(config);
  let response: Response;
  try {
    response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
  } catch {
    return undefined;
  }
  const body = (await response.json().catch(() => undefined)) as
    | { ready?: boolean; postgres?: string; redis?: string }
    | undefined;
  // something else on that port: the demo's own Rapport listens on a free port, so it does not matter
  if (typeof body?.ready !== "boolean") return undefined;
  if (!body.ready)
    throw new CliError(
      `the Rapport running at ${url} is not ready (database: ${body.postgres}, Redis: ${body.redis}): fix that first (its log says more)`,
    );
  return url;
}

/** Posts the demo purchases to `baseUrl` and waits for their thank-you emails in this folder's outbox. */
async function sendDemoPurchases(
  baseUrl: string,
  secret: string,
  config: Config,
  timeoutMs: number,
): Promise<string[]> {
  const outbox = path.join(config.dataDir, "outbox", "email");
  const before = new Set(emlFiles(outbox));
  const run = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  process.stdout.write(`Rapport demo: posting ${DEMO_PURCHASES.length} purchases to ${baseUrl}/api/events\n`);
  for (const [i, purchase] of DEMO_PURCHASES.entries()) {
    const orderId = `DEMO-${run}-${i + 1}`;
    const { total, response } = await postDemoPurchase(baseUrl, secret, orderId, purchase);
    if (response.status === 401)
      throw new CliError(
        `the Rapport at ${baseUrl} refused the demo's signature: it runs with another RAPPORT_WEBHOOK_SECRET or data folder; run the demo from the folder (and .env) it was started from`,
      );
    if (!response.ok)
      throw new CliError(`POST /api/events answered ${response.status}: ${await response.text()}`);
    process.stdout.write(
      `  ${orderId}  ${purchase.customer.name} (${purchase.customer.locale})  ${total.toFixed(2)} ${purchase.currency}\n`,
    );
  }
  process.stdout.write("Waiting for the thank-you emails");
  const deadline = Date.now() + timeoutMs;
  const found = new Map<string, { file: string; subject: string }>();
  const wanted = new Set<string>(DEMO_PURCHASES.map((p) => p.customer.email));
  while (found.size < wanted.size) {
    if (Date.now() > deadline)
      throw new CliError(
        `the thank-you emails did not arrive in ${outbox} within ${timeoutMs / 1000} s: is the thank-you campaign active, and a worker running? (its log says more; LOG_LEVEL=debug)`,
      );
    for (const name of emlFiles(outbox)) {
      if (before.has(name)) continue;
      const file = path.join(outbox, name);
      const eml = readFileSync(file, "utf8");
      const to = /^To: (.*)$/m.exec(eml)?.[1]?.trim() ?? "";
      if (wanted.has(to) && !found.has(to))
        found.set(to, { file, subject: decodeHeader(/^Subject: (.*)$/m.exec(eml)?.[1] ?? "") });
      before.add(name);
    }
    if (found.size < wanted.size) {
      process.stdout.write(".");
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  process.stdout.write(" done.\n\n");
  for (const purchase of DEMO_PURCHASES) {
    const { file, subject } = found.get(purchase.customer.email)!;
    process.stdout.write(
      `  [${purchase.customer.locale}] ${purchase.customer.email}\n        ${path.relative(process.cwd(), file)}\n        ${subject}\n`,
    );
  }
  process.stdout.write(
    `\nOpen the .eml files with any mail client, read them as text in ${outbox}, or list them: rapport outbox\n`,
  );
  return [...found.values()].map((f) => f.file);
}

/** The .eml files in the email outbox (none before the first email). */
function emlFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith(".eml"));
  } catch {
    return [];
  }
}
