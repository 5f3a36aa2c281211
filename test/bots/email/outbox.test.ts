import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createOutboxChannel,
  isBatchChannel,
  type OutboundMessage,
  unsubscribeHeaders,
} from "../../../bots/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { decodeQp, readEml } from "../../support/eml.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "rapport-outbox-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const options = () => ({
  dir,
  from: "Rapport Shop <hello@shop.test>",
  clock: manualClock(),
  log: silentLogger,
});

const message = (n: number): OutboundMessage => ({
  deliveryId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  to: `customer${n}@example.com`,
  subject: `Oferta ${n}: zniżka 15%`,
  text: `Cześć ${n}`,
  html: `<p>Cześć ${n}</p>`,
  headers: unsubscribeHeaders(`https://crm.shop.test/u/token${n}`),
});

/** The header lines of an .eml file, unfolded. */
const headerLines = (eml: string) => eml.split("\r\n\r\n")[0]?.split("\r\n") ?? [];

describe("email outbox", () => {
  it("takes batches, writing one .eml per message and answering in input order", async () => {
    const outbox = createOutboxChannel("email", options());
    expect(isBatchChannel(outbox)).toBe(true);
    const results = await outbox.sendBatch([message(1), message(2)], "batch/1");
    const folder = path.join(dir, "email");
    expect(results).toEqual([
      { providerId: path.join(folder, `${message(1).deliveryId}.eml`) },
      { providerId: path.join(folder, `${message(2).deliveryId}.eml`) },
    ]);
    expect(readdirSync(folder).sort()).toEqual([
      `${message(1).deliveryId}.eml`,
      `${message(2).deliveryId}.eml`,
    ]);
  });

  it("writes the List-Unsubscribe headers into the .eml, so a mail client shows its unsubscribe button", async () => {
    const outbox = createOutboxChannel("email", options());
    const [result] = await outbox.sendBatch([message(1)], "batch/1");
    const eml = readFileSync((result as { providerId: string }).providerId, "utf8");
    expect(headerLines(eml)).toEqual(
      expect.arrayContaining([
        "To: customer1@example.com",
        "List-Unsubscribe: <https://crm.shop.test/u/token1>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "X-Rapport-Idempotency-Key: batch/1#0",
      ]),
    );
  });

  it("keeps a header value on its own line even if it holds a line break", async () => {
    const outbox = createOutboxChannel("email", options());
    const { providerId } = await outbox.send(
      { ...message(1), headers: { "X-Note": "a\r\nBcc: everyone@example.com" } },
      "single/1",
    );
    const lines = headerLines(readFileSync(providerId, "utf8"));
    expect(lines).toContain("X-Note: a Bcc: everyone@example.com");
    expect(lines.filter((l) => l.startsWith("Bcc:"))).toEqual([]);
  });

  it("writes a retried batch's files once", async () => {
    const outbox = createOutboxChannel("email", options());
    const first = await outbox.sendBatch([message(1), message(2)], "batch/1");
    expect(await outbox.sendBatch([message(1), message(2)], "batch/1")).toEqual(first);
    expect(readdirSync(path.join(dir, "email"))).toHaveLength(2);
  });

  it("writes the parts as text a person can read (8bit UTF-8), not base64", async () => {
    const outbox = createOutboxChannel("email", options());
    const { providerId } = await outbox.send(
      {
        ...message(1),
        text: "Dziękujemy, Jan!\nZamówienie: 199,95\u00a0zł",
        html: "<p>Terima kasih, Siti</p>",
      },
      "single/1",
    );
    const eml = readFileSync(providerId, "utf8");
    expect(eml).not.toContain("base64");
    expect(eml).toContain(
      "Content-Transfer-Encoding: 8bit\r\n\r\nDziękujemy, Jan!\r\nZamówienie: 199,95\u00a0zł\r\n",
    );
    expect(eml).toContain("<p>Terima kasih, Siti</p>");
  });

  it("writes a part with a line longer than 998 octets as quoted-printable, every line within 76", async () => {
    const html = `<p>${"Cześć, ".repeat(200)}</p>`;
    const outbox = createOutboxChannel("email", options());
    const { providerId } = await outbox.send({ ...message(1), html }, "single/1");
    const eml = readFileSync(providerId, "utf8");
    const qp = /Content-Transfer-Encoding: quoted-printable\r\n\r\n([\s\S]*?)\r\n--rapport-/.exec(eml)?.[1];
    expect(qp).toBeDefined();
    expect(Math.max(...qp!.split("\r\n").map((l) => l.length))).toBeLessThanOrEqual(76);
    expect(decodeQp(qp!)).toBe(html);
    expect(readEml(eml).body).toContain(html);
  });

  it("takes batches only for email", () => {
    expect(isBatchChannel(createOutboxChannel("telegram", options()))).toBe(false);
  });
});
