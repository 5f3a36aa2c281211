import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../support/db.ts";
import {
  addStaff,
  type Browser,
  getPage,
  PASSWORD,
  postForm,
  postLogin,
  signIn,
  startConsole,
  uniqueEmail,
} from "../support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let admin: Browser;
let adminId: string;
let agent: Browser;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
  const adminEmail = uniqueEmail("admin");
  adminId = await addStaff(database.db, adminEmail, "admin", { name: "Ada <b>Admin</b>" });
  const agentEmail = uniqueEmail("agent");
  await addStaff(database.db, agentEmail, "agent");
  [admin, agent] = await Promise.all([signIn(http, adminEmail), signIn(http, agentEmail)]);
});
afterAll(async () => {
  await http.close();
});

const newStaff = (overrides: Record<string, string> = {}) => ({
  email: uniqueEmail("new"),
  name: "Siti Rahayu",
  role: "agent",
  locale: "id",
  password: PASSWORD,
  ...overrides,
});

describe("the staff page", () => {
  it("lists every account with its role and last sign-in, escaping what people typed", async () => {
    const page = await getPage(http, admin, "/console/staff");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("<h1>Staff</h1>");
    expect(page.body).toContain("Ada &lt;b&gt;Admin&lt;/b&gt;");
    expect(page.body).not.toContain("<b>Admin</b>");
    expect(page.body).toMatch(/<td>Agent<\/td>/);
    expect(page.body).toMatch(
      /<time datetime="\d{4}-\d\d-\d\dT[^"]+" title="[^"]+">(now|\d+ seconds? ago)<\/time>/,
    );
    expect(page.body).toContain('<label for="staff-email">Email</label>');
    expect(page.body).toContain('<label for="staff-password">Password</label>');
  });

  it("lets an admin add a staff member, who can then sign in; audited as staff.create", async () => {
    const fields = newStaff();
    const response = await postForm(http, admin, "/console/staff", { ...fields, _csrf: admin.csrf });
    expect(response.statusCode).toBe(303);
    const user = await database.db.staffUser.findUniqueOrThrow({ where: { email: fields.email } });
    expect(user).toMatchObject({ name: "Siti Rahayu", role: "agent", locale: "id" });
    expect(user.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(response.headers.location).toBe(`/console/staff?added=${user.id}`);
    const page = await getPage(http, admin, response.headers.location!);
    expect(page.body).toContain(`${fields.email} has been added and can sign in now.`);
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "staff.create", targetId: user.id },
    });
    expect(audit).toMatchObject({ actorType: "staff", staffUserId: adminId, targetType: "StaffUser" });
    expect(JSON.stringify(audit.data)).not.toContain(PASSWORD);
    const login = await postLogin(http, fields.email, PASSWORD);
    expect(login.statusCode).toBe(303);
  });

  it("explains what is wrong and keeps what was typed (but not the password)", async () => {
    const taken = newStaff();
    await postForm(http, admin, "/console/staff", { ...taken, _csrf: admin.csrf });
    const cases = [
      {
        fields: newStaff({ email: taken.email.toUpperCase() }),
        status: 409,
        text: `There is already an account for ${taken.email}.`,
      },
      {
        fields: newStaff({ password: "Tiny9pw" }),
        status: 400,
        text: "The password needs at least 10 characters.",
      },
      {
        fields: newStaff({ email: "not-an-address" }),
        status: 400,
        text: "Enter an email address such as name@example.com.",
      },
    ];
    for (const { fields, status, text } of cases) {
      const response = await postForm(http, admin, "/console/staff", { ...fields, _csrf: admin.csrf });
      expect(response.statusCode, text).toBe(status);
      expect(response.body).toContain(text);
      expect(response.body).toContain('aria-invalid="true"');
      expect(response.body).toContain('value="Siti Rahayu"');
      expect(response.body).not.toContain(fields.password);
    }
  });

  it("refuses an agent's form with 403 and creates nothing", async () => {
    const fields = newStaff();
    const response = await postForm(http, agent, "/console/staff", { ...fields, _csrf: agent.csrf });
    expect(response.statusCode).toBe(403);
    expect(await database.db.staffUser.findUnique({ where: { email: fields.email } })).toBeNull();
  });
});
