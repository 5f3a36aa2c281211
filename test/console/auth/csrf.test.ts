import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../support/db.ts";
import { addStaff, type Browser, PASSWORD, postForm, signIn, startConsole, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let admin: Browser;
let adminId: string;
let other: Browser;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
  const email = uniqueEmail("admin");
  adminId = await addStaff(database.db, email, "admin");
  const otherEmail = uniqueEmail("other");
  await addStaff(database.db, otherEmail, "admin");
  [admin, other] = await Promise.all([signIn(http, email), signIn(http, otherEmail)]);
});
afterAll(async () => {
  await http.close();
});

/** Every form of the foundation, with fields that would change something. */
const FORMS = [
  { url: "/console/me/locale", fields: () => ({ locale: "pl" }) },
  {
    url: "/console/staff",
    fields: () => ({ email: uniqueEmail("new"), role: "agent", locale: "en", password: PASSWORD, name: "" }),
  },
  { url: "/console/logout", fields: () => ({}) },
];

describe("CSRF", () => {
  it("refuses a form without the token, with a wrong one, or with another session's", async () => {
    for (const form of FORMS) {
      for (const token of [undefined, "wrong-token", other.csrf]) {
        const fields = { ...form.fields(), ...(token !== undefined && { _csrf: token }) };
        const response = await postForm(http, admin, form.url, fields);
        expect(response.statusCode, `${form.url} with ${token}`).toBe(403);
        expect(response.body).toContain("This form has expired");
      }
    }
    // nothing changed: same language, no new account, still signed in
    const me = await database.db.staffUser.findUniqueOrThrow({ where: { id: adminId } });
    expect(me.locale).toBe("en");
    expect(await database.db.staffUser.count()).toBe(2);
    expect(await database.db.session.count({ where: { staffUserId: adminId } })).toBe(1);
  });

  it("answers JSON 403 to a script without the header", async () => {
    const response = await postForm(http, admin, "/console/me/locale", { locale: "id" }, { accept: "*/*" });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: "csrf_failed" });
  });

  it("accepts the token as the _csrf field or the x-csrf-token header", async () => {
    const byField = await postForm(http, admin, "/console/me/locale", { locale: "id", _csrf: admin.csrf });
    expect(byField.statusCode).toBe(303);
    const byHeader = await postForm(
      http,
      admin,
      "/console/me/locale",
      { locale: "en" },
      { "x-csrf-token": admin.csrf },
    );
    expect(byHeader.statusCode).toBe(303);
    const added = await postForm(http, admin, "/console/staff", { ...FORMS[1]!.fields(), _csrf: admin.csrf });
    expect(added.statusCode).toBe(303);
    const out = await postForm(http, admin, "/console/logout", { _csrf: admin.csrf });
    expect(out.statusCode).toBe(303);
    expect(await database.db.session.count({ where: { staffUserId: adminId } })).toBe(0);
  });
});
