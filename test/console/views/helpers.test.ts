import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadViews } from "../../../console/views/environment.ts";

const dir = mkdtempSync(path.join(tmpdir(), "console-views-"));
mkdirSync(path.join(dir, "partials"));
mkdirSync(path.join(dir, "customers"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Renders a one-off view in the console's environment. */
function renderView(source: string, context: object, locale: "en" | "id" | "pl", timezone = "UTC"): string {
  const name = `v${Math.random().toString(36).slice(2)}`;
  writeFileSync(path.join(dir, `${name}.hbs`), source);
  const now = Date.parse("2026-03-05T12:00:00Z");
  return loadViews(dir).render(name, context, { locale, timezone, now, csrf: "tok", brand: "Toko" });
}

describe("console view helpers", () => {
  it("format numbers and money the locale's way", () => {
    const view = "{{number n}}|{{money total currency}}|{{number rate decimals=1}}";
    const ctx = (currency: string) => ({ n: 1234567.5, total: "150000", currency, rate: 0.456 });
    expect(renderView(view, ctx("USD"), "en")).toBe("1,234,567.5|$150,000.00|0.5");
    expect(renderView(view, ctx("IDR"), "id")).toBe("1.234.567,5|Rp\u00a0150.000|0,5");
    expect(renderView(view, ctx("PLN"), "pl")).toBe("1\u00a0234\u00a0567,5|150\u00a0000,00\u00a0zł|0,5");
  });

  it("format dates, times and relative times in the staff member's locale and time zone", () => {
    const at = new Date("2026-03-05T20:30:00Z");
    const view =
      '{{date at}}|{{date at "long"}}|{{time at}}|{{relative at}}|{{date at "short" tz="America/New_York"}}';
    // ICU versions differ in which space goes before AM: compare with plain spaces
    const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, " ");
    expect(plain(renderView(view, { at }, "en", "Asia/Jakarta"))).toBe(
      "Mar 6, 2026|March 6, 2026|3:30 AM|in 9 hours|3/5/26",
    );
    expect(renderView(view, { at }, "id", "Asia/Jakarta")).toBe(
      "6 Mar 2026|6 Maret 2026|03.30|dalam 9 jam|05/03/26",
    );
    expect(renderView(view, { at }, "pl", "Europe/Warsaw")).toBe(
      "5 mar 2026|5 marca 2026|21:30|za 9 godzin|5.03.2026",
    );
    expect(renderView("{{relative at}}", { at: new Date("2026-03-04T12:00:00Z") }, "pl")).toBe("wczoraj");
  });

  it("show nothing for a missing value instead of failing", () => {
    expect(renderView("[{{date nothing}}{{money nothing 'IDR'}}{{relative nothing}}]", {}, "en")).toBe("[]");
  });

  it("translate with parameters, and escape text and parameters", () => {
    const out = renderView(
      '{{t "staff.added" email=who}} {{name}}',
      { who: "<i>x</i>", name: '"><script>' },
      "en",
    );
    expect(out).toBe("&lt;i&gt;x&lt;/i&gt; has been added and can sign in now. &quot;&gt;&lt;script&gt;");
  });

  it("stop on a text key that does not exist, naming where to add it", () => {
    expect(() => renderView('{{t "nav.nope"}}', {}, "en")).toThrow(
      /unknown text key "nav.nope": add it to console\/i18n.ts/,
    );
  });

  it("load partials and views in subfolders, and give forms the CSRF field", () => {
    writeFileSync(path.join(dir, "partials", "badge.hbs"), "<b>{{label}}</b>");
    writeFileSync(
      path.join(dir, "customers", "show.hbs"),
      "{{> badge label=name}}{{> csrf}}{{#if (eq role 'admin')}}!{{/if}}",
    );
    writeFileSync(
      path.join(dir, "partials", "csrf.hbs"),
      '<input type="hidden" name="_csrf" value="{{@csrf}}">',
    );
    const views = loadViews(dir);
    expect(views.has("customers/show")).toBe(true);
    const html = views.render(
      "customers/show",
      { name: "Siti", role: "admin" },
      {
        locale: "en",
        timezone: "UTC",
        now: 0,
        csrf: "tok",
        brand: "Toko",
      },
    );
    expect(html).toBe('<b>Siti</b><input type="hidden" name="_csrf" value="tok">!');
  });
});
