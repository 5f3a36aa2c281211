import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createTemplateStore, type ThankYouData } from "../../templates/index.ts";

const store = createTemplateStore();

const thankYou: ThankYouData = {
  customer: { name: "Ana" },
  order: { id: "A-1", total: 1, currency: "USD", items: [{ sku: "X", quantity: 1, unitPrice: 1 }] },
  brand: { name: "Kopi Kita" },
};
const LINK = "https://kopikita.example/u/signed";

describe("the unsubscribe link of the email footer", () => {
  it("links to links.unsubscribe in the HTML and the text part", () => {
    const message = store.render("thank-you", "email", "id", { ...thankYou, links: { unsubscribe: LINK } });
    expect(message.html).toContain(`<a href="${LINK}"`);
    expect(message.text).toContain(`Berhenti berlangganan email ini: ${LINK}`);
  });

  it("prefers links.unsubscribe to the older unsubscribeUrl, and shows one link", () => {
    const data = { ...thankYou, unsubscribeUrl: "https://old.example/u", links: { unsubscribe: LINK } };
    const message = store.render("thank-you", "email", "en", data);
    expect(message.html).toContain(LINK);
    expect(message.html).not.toContain("old.example");
    expect(message.text.match(/Unsubscribe from these emails/g)).toHaveLength(1);
  });

  it("shows none when links holds no unsubscribe link, even beside an older unsubscribeUrl", () => {
    const data = {
      ...thankYou,
      unsubscribeUrl: "https://old.example/u",
      links: { shop: "https://x.example" },
    };
    const message = store.render("thank-you", "email", "pl", data);
    expect(message.html).not.toContain("Wypisz się");
    expect(message.text).not.toContain("Wypisz się");
  });
});

describe("the unsubscribe label", () => {
  const root = mkdtempSync(join(tmpdir(), "rapport-layout-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  cpSync(fileURLToPath(new URL("../../templates/partials/", import.meta.url)), join(root, "partials"), {
    recursive: true,
  });
  mkdirSync(join(root, "note"));
  for (const locale of ["en", "id", "pl"]) {
    writeFileSync(
      join(root, `note/email.${locale}.hbs`),
      "---\nsubject: Hi\n---\n{{#> email-layout}}<p>x</p>{{/email-layout}}",
    );
    writeFileSync(join(root, `note/email.${locale}.txt.hbs`), "x\n\n{{> email-footer.txt}}");
  }
  const local = createTemplateStore({ dir: root });
  const data = { brand: { name: "B" }, links: { unsubscribe: LINK } };

  it.each([
    ["en", "Unsubscribe from these emails"],
    ["id", "Berhenti berlangganan email ini"],
    ["pl", "Wypisz się z tych wiadomości"],
  ])("defaults to the %s wording when the template gives none", (locale, label) => {
    const message = local.render("note", "email", locale, data);
    expect(message.html).toContain(`>${label}</a>`);
    expect(message.text).toContain(`${label}: ${LINK}`);
  });
});
