import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../support/db.ts";
import { addStaff, getPage, postForm, signIn, startConsole, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
let http: FastifyInstance;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
});
afterAll(async () => {
  await http.close();
});

describe("the language switcher", () => {
  it("stores the staff member's language and shows every page in it; audited as staff.locale", async () => {
    const email = uniqueEmail("jan");
    const id = await addStaff(database.db, email, "admin", { name: "Jan Kowalski" });
    const browser = await signIn(http, email);
    const before = await getPage(http, browser, "/console/staff");
    expect(before.body).toContain('<html lang="en">');
    expect(before.body).toMatch(
      /<button type="submit" name="locale" value="pl" lang="pl" aria-pressed="false">Polski<\/button>/,
    );

    const response = await postForm(http, browser, "/console/me/locale", {
      locale: "pl",
      next: "/console/staff",
      _csrf: browser.csrf,
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe("/console/staff");
    const page = await getPage(http, browser, "/console/staff");
    expect(page.body).toContain('<html lang="pl">');
    for (const word of [
      "Skrzynka",
      "Klienci",
      "Kampanie",
      "Pulpit",
      "Zespół",
      "Wyloguj się",
      "Przejdź do treści",
    ])
      expect(page.body).toContain(word);
    expect(page.body).toContain("<title>Zespół · Toko Rapport</title>");
    expect(page.body).toMatch(/value="pl" lang="pl" aria-pressed="true"/);
    expect(page.body).not.toContain("Sign out");

    const user = await database.db.staffUser.findUniqueOrThrow({ where: { id } });
    expect(user.locale).toBe("pl");
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "staff.locale", staffUserId: id },
    });
    expect(audit.data).toEqual({ from: "en", to: "pl" });

    await postForm(http, browser, "/console/me/locale", { locale: "id", _csrf: browser.csrf });
    const inbox = await getPage(http, browser, "/console/inbox");
    expect(inbox.body).toContain('<html lang="id">');
    expect(inbox.body).toContain("Belum ada percakapan.");
  });

  it("refuses a language the console does not have, and never sends anyone off-site", async () => {
    const email = uniqueEmail("eve");
    await addStaff(database.db, email, "agent");
    const browser = await signIn(http, email);
    const bad = await postForm(http, browser, "/console/me/locale", { locale: "de", _csrf: browser.csrf });
    expect(bad.statusCode).toBe(400);
    const away = await postForm(http, browser, "/console/me/locale", {
      locale: "id",
      next: "https://evil.example/",
      _csrf: browser.csrf,
    });
    expect(away.headers.location).toBe("/console/inbox");
  });
});
