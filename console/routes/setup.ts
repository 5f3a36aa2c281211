import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { issueLoginCsrf, tokensMatch } from "../auth/csrf.ts";
import { startSignedIn } from "../auth/sign-in.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { createStaffUser, hasStaffUsers, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../staff.ts";
import { render } from "../views/render.ts";

const SETUP_PATH = "/console/setup";

const SetupQuery = z.object({ token: z.string().max(200).optional().catch(undefined) });

const SetupForm = z.object({
  token: z.string().max(200).default(""),
  name: z.string().max(200).default(""),
  email: z.string().max(320).default(""),
  password: z
    .string()
    .max(PASSWORD_MAX_LENGTH * 4)
    .default(""),
  confirm: z
    .string()
    .max(PASSWORD_MAX_LENGTH * 4)
    .default(""),
});

/** What the setup view shows. */
interface SetupPage {
  token: string;
  values: { name: string; email: string };
  errors: { name?: string; email?: string; password?: string; confirm?: string };
}

/**
 * `GET|POST /console/setup?token=…`: the first admin, created in the browser. `rapport start` prints this
 * link (with a token made at start, `deps.setupToken`) while no staff account exists, because the embedded
 * database admits one process: `rapport staff add` cannot run beside a running `rapport start` on it. The page
 * works only with that token and only while there is no account at all; afterwards it sends people to sign
 * in. On success the new admin is signed in. Audited as `staff.create` (by the system) and `staff.login`.
 */
export function registerSetup(scope: FastifyInstance, deps: ConsoleDeps): void {
  const options = { config: { consolePublic: true } };

  scope.get("/setup", options, async (request, reply) => {
    const { token } = SetupQuery.parse(request.query ?? {});
    const closed = await refuse(request, reply, deps, token);
    if (closed) return closed;
    return showSetup(request, reply, deps, { token: token!, values: { name: "", email: "" }, errors: {} });
  });

  scope.post("/setup", options, async (request, reply) => {
    const parsed = SetupForm.safeParse(request.body ?? {});
    if (!parsed.success) return sendProblem(reply, { kind: "bad_request" });
    const form = parsed.data;
    const closed = await refuse(request, reply, deps, form.token);
    if (closed) return closed;
    const { locale } = request.consoleView;
    const page: SetupPage = {
      token: form.token,
      values: { name: form.name.trim(), email: form.email.trim() },
      errors: {},
    };
    if (!page.values.name) page.errors.name = t(locale, "setup.nameRequired");
    if (form.password !== form.confirm) page.errors.confirm = t(locale, "setup.mismatch");
    if (form.password.length < PASSWORD_MIN_LENGTH)
      page.errors.password = t(locale, "staff.passwordTooShort", { min: PASSWORD_MIN_LENGTH });
    if (Object.keys(page.errors).length > 0) return showSetup(request, reply, deps, page, 400);

    const result = await createStaffUser(
      deps,
      { email: page.values.email, role: "admin", name: page.values.name, password: form.password, locale },
      { type: "system" },
    );
    switch (result.kind) {
      case "created":
        break;
      case "exists":
        return showSetup(
          request,
          reply,
          deps,
          { ...page, errors: { email: t(locale, "staff.exists", { email: result.email }) } },
          409,
        );
      case "bad_password":
        if (result.reason === "too_long") return sendProblem(reply, { kind: "bad_request" });
        return showSetup(
          request,
          reply,
          deps,
          {
            ...page,
            errors: { password: t(locale, "staff.passwordTooShort", { min: PASSWORD_MIN_LENGTH }) },
          },
          400,
        );
      case "invalid":
        if (result.field !== "email") return sendProblem(reply, { kind: "bad_request" });
        return showSetup(
          request,
          reply,
          deps,
          { ...page, errors: { email: t(locale, "staff.invalidEmail") } },
          400,
        );
    }
    const user = result.user;
    await startSignedIn(deps, request, reply, user.id, { via: "setup" });
    request.log.info({ staffUserId: user.id }, "console: first admin created");
    return reply.redirect("/console", 303);
  });
}

/**
 * The answer when the page is closed: once anyone has an account, to the sign-in page; without the start's
 * token (or with a wrong one), 403 saying where the right link is. Undefined when the page is open.
 */
async function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ConsoleDeps,
  token: string | undefined,
): Promise<FastifyReply | undefined> {
  if (await hasStaffUsers(deps.db)) return reply.redirect("/console/login", 303);
  if (deps.setupToken && tokensMatch(token, deps.setupToken)) return undefined;
  request.log.warn({ ip: request.ip }, "console: setup page asked for without the start's token");
  const { locale } = request.consoleView;
  return render(
    reply,
    "error",
    { title: t(locale, "setup.title"), body: t(locale, "setup.invalidLink") },
    {
      status: 403,
      title: "setup.title",
    },
  );
}

function showSetup(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ConsoleDeps,
  page: SetupPage,
  status = 200,
): FastifyReply {
  const csrf = issueLoginCsrf(request, reply, deps.publicUrl, SETUP_PATH);
  return render(
    reply,
    "setup",
    { ...page, min: PASSWORD_MIN_LENGTH },
    { status, title: "setup.title", csrf },
  );
}
