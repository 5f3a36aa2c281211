import { createReadStream } from "node:fs";
import multipart, { type MultipartFile } from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  enqueueImport,
  IMPORT_KINDS,
  type ImportKind,
  InputError,
  MappingError,
  previewImport,
  type QueueContext,
  rejectsPathOf,
} from "../../workers/index.ts";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps, ImportUploads } from "../deps.ts";
import { t } from "../i18n.ts";
import { countryOf, formatBytes, mappingChoices, PreviewForm, previewWithChoices } from "../import-form.ts";
import {
  findImport,
  recentImports,
  recordUpload,
  removeOldImports,
  removeUpload,
  storeUpload,
  UploadTooLargeError,
  uploadPathOf,
} from "../import-store.ts";
import { sendProblem } from "../problems.ts";
import { assetUrl } from "../static.ts";
import { render } from "../views/render.ts";
import { registerImportEvents } from "./import-events.ts";

const IMPORTERS = { preHandler: requireRole("admin", "marketer") };
/** Rows the mapping preview shows. */
const PREVIEW_ROWS = 10;
/** The upload, read from the multipart body before the CSRF check (which needs the fields sent before it). */
const uploads = new WeakMap<FastifyRequest, MultipartFile>();

/**
 * The console's import, for admins and marketers: `GET /console/import` (the upload form and recent imports),
 * `POST /console/import` (multipart: `_csrf` and `kind` first, then `file`; streamed to the data directory,
 * 413 over the limit), `GET|POST /console/import/:id/preview` (the first rows with the field each column
 * maps to, a select per column, the phone country, dry run), `POST /console/import/:id/start` (queues the
 * `import` job), `GET /console/import/:id` (progress, then the summary), `GET /console/import/:id/events`
 * (its progress as SSE) and `GET /console/import/:id/rejects.csv`. Every upload and start is audited.
 */
export function registerImport(scope: FastifyInstance, deps: ConsoleDeps): void {
  const ready = (reply: FastifyReply) => {
    if (deps.imports && deps.queues) return { uploads: deps.imports, queues: deps.queues };
    void reply.status(503).send({ error: "unavailable", message: "imports are not configured here" });
    return undefined;
  };

  scope.get("/import", IMPORTERS, async (_request, reply) => {
    const on = ready(reply);
    return on && showUpload(reply, on, {});
  });

  // its own scope: the multipart parser serves this route alone
  void scope.register(async (upload) => {
    await upload.register(multipart, {
      throwFileSizeLimit: false,
      limits: {
        fileSize: deps.imports?.maxBytes ?? 0,
        files: 1,
        fields: 10,
        fieldSize: 1_000,
        parts: 12,
      },
    });
    upload.post(
      "/import",
      { ...IMPORTERS, preValidation: readFieldsFirst, bodyLimit: Number.MAX_SAFE_INTEGER },
      async (request, reply) => {
        const on = ready(reply);
        if (!on) return reply;
        const { locale } = request.consoleView;
        const max = formatBytes(on.uploads.maxBytes, locale);
        const file = uploads.get(request);
        const kind = z.enum(IMPORT_KINDS).safeParse((request.body as { kind?: unknown } | undefined)?.kind);
        if (!kind.success) {
          file?.file.resume();
          return showUpload(reply, on, { kind: t(locale, "import.errorKind") }, 400);
        }
        if (!file || file.filename === "") {
          file?.file.resume();
          return showUpload(reply, on, { file: t(locale, "import.errorFile") }, 400, kind.data);
        }
        const length = Number(request.headers["content-length"]);
        if (length > on.uploads.maxBytes + 64 * 1024) {
          file.file.resume();
          return showUpload(reply, on, { file: t(locale, "import.errorTooLarge", { max }) }, 413, kind.data);
        }
        let stored: Awaited<ReturnType<typeof storeUpload>>;
        try {
          stored = await storeUpload(on.uploads, file.file);
        } catch (error) {
          if (!(error instanceof UploadTooLargeError)) throw error;
          return showUpload(reply, on, { file: t(locale, "import.errorTooLarge", { max }) }, 413, kind.data);
        }
        if (stored.size === 0) {
          await removeUpload(on.uploads, stored.id);
          return showUpload(reply, on, { file: t(locale, "import.errorEmpty") }, 400, kind.data);
        }
        const name = fileNameOf(file.filename);
        // a file that cannot be read at all is refused now, not after a job
        try {
          await previewImport(createReadStream(stored.path), { kind: kind.data, name }, 1);
        } catch (error) {
          await removeUpload(on.uploads, stored.id);
          if (!(error instanceof InputError || error instanceof MappingError)) throw error;
          const reason = error.message;
          return showUpload(
            reply,
            on,
            { file: t(locale, "import.errorUnreadable", { reason }) },
            400,
            kind.data,
          );
        }
        const now = deps.clock.now();
        await recordUpload(deps.db, {
          id: stored.id,
          kind: kind.data,
          name,
          size: stored.size,
          staffUserId: request.staff!.id,
          at: new Date(now),
        });
        void removeOldImports(on.uploads, now).catch((err) =>
          request.log.warn({ err }, "old imports not removed"),
        );
        return reply.redirect(`/console/import/${stored.id}/preview`, 303);
      },
    );
  });

  scope.get<{ Params: { id: string } }>("/import/:id/preview", IMPORTERS, async (request, reply) => {
    const on = ready(reply);
    return on && showPreview(request, reply, on, request.params.id, { map: {}, country: "", dryRun: false });
  });

  scope.post<{ Params: { id: string } }>("/import/:id/preview", IMPORTERS, async (request, reply) => {
    const on = ready(reply);
    if (!on) return reply;
    const form = PreviewForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    return showPreview(request, reply, on, request.params.id, form.data);
  });

  scope.post<{ Params: { id: string } }>("/import/:id/start", IMPORTERS, async (request, reply) => {
    const on = ready(reply);
    if (!on) return reply;
    const form = PreviewForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const run = await findImport(deps.db, on.queues, on.uploads, request.params.id);
    if (!run) return sendProblem(reply, { kind: "not_found" });
    if (run.state !== "uploaded") return reply.redirect(`/console/import/${run.id}`, 303);
    const { locale } = request.consoleView;
    const checked = await checkOptions(uploadPathOf(on.uploads, run.id), run, form.data, locale);
    if ("errors" in checked) return showPreview(request, reply, on, run.id, form.data, checked.errors);
    const staff = request.staff!;
    await enqueueImport(on.queues, {
      importId: run.id,
      path: uploadPathOf(on.uploads, run.id),
      name: run.name,
      size: run.size,
      kind: run.kind,
      map: checked.map,
      country: checked.country,
      dryRun: form.data.dryRun,
      staffUserId: staff.id,
      actor: staff.email,
    });
    await deps.db.auditLog.create({
      data: {
        actorType: "staff",
        staffUserId: staff.id,
        action: "import.start",
        targetType: "Import",
        targetId: run.id,
        data: { map: checked.map, country: checked.country ?? null, dryRun: form.data.dryRun },
        createdAt: new Date(deps.clock.now()),
      },
    });
    return reply.redirect(`/console/import/${run.id}`, 303);
  });

  scope.get<{ Params: { id: string } }>("/import/:id", IMPORTERS, async (request, reply) => {
    const on = ready(reply);
    if (!on) return reply;
    const run = await findImport(deps.db, on.queues, on.uploads, request.params.id);
    if (!run) return sendProblem(reply, { kind: "not_found" });
    const { locale } = request.consoleView;
    return render(
      reply,
      "import-run",
      {
        run,
        heading: t(locale, "import.runTitle", { name: run.name }),
        kindLabel: `import.kind.${run.kind}`,
        stateLabel: `import.state.${run.state}`,
        live: run.state === "queued" || run.state === "running",
        seconds: run.summary
          ? new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
              run.summary.ms / 1000,
            )
          : undefined,
        script: assetUrl("import.js"),
        style: assetUrl("import.css"),
      },
      { title: "import.title" },
    );
  });

  scope.get<{ Params: { id: string } }>("/import/:id/rejects.csv", IMPORTERS, async (request, reply) => {
    const on = ready(reply);
    if (!on) return reply;
    const run = await findImport(deps.db, on.queues, on.uploads, request.params.id);
    if (!run?.hasRejects) return sendProblem(reply, { kind: "not_found" });
    const download = `${run.name.replace(/[^\w.-]+/g, "_")}.rejects.csv`;
    return reply
      .header("content-type", "text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="${download}"`)
      .header("cache-control", "no-store")
      .send(createReadStream(rejectsPathOf(uploadPathOf(on.uploads, run.id))));
  });

  registerImportEvents(scope, deps, IMPORTERS);

  async function showUpload(
    reply: FastifyReply,
    on: { uploads: ImportUploads; queues: QueueContext },
    errors: { kind?: string; file?: string },
    status = 200,
    kind: ImportKind = "customers",
  ): Promise<FastifyReply> {
    const { locale } = reply.request.consoleView;
    const runs = await recentImports(deps.db, on.queues, on.uploads);
    return render(
      reply,
      "import",
      {
        style: assetUrl("import.css"),
        kinds: IMPORT_KINDS.map((k) => ({ value: k, label: `import.kind.${k}`, selected: k === kind })),
        maxText: formatBytes(on.uploads.maxBytes, locale),
        errors,
        runs: runs.map((r) => ({
          ...r,
          kindLabel: `import.kind.${r.kind}`,
          stateLabel: `import.state.${r.state}`,
          sizeText: formatBytes(r.size, locale),
          href: r.state === "uploaded" ? `/console/import/${r.id}/preview` : `/console/import/${r.id}`,
        })),
      },
      { status, title: "import.title" },
    );
  }

  async function showPreview(
    request: FastifyRequest,
    reply: FastifyReply,
    on: { uploads: ImportUploads; queues: QueueContext },
    id: string,
    form: PreviewForm,
    errors: { map?: string; country?: string } = {},
  ): Promise<FastifyReply> {
    const run = await findImport(deps.db, on.queues, on.uploads, id);
    if (!run) return sendProblem(reply, { kind: "not_found" });
    if (run.state !== "uploaded") return reply.redirect(`/console/import/${run.id}`, 303);
    const { locale } = request.consoleView;
    const { preview, mapError } = await previewWithChoices(
      uploadPathOf(on.uploads, run.id),
      run,
      form,
      PREVIEW_ROWS,
    );
    if (mapError) errors.map ??= t(locale, "import.errorMap", { reason: mapError });
    return render(
      reply,
      "import-preview",
      {
        run,
        style: assetUrl("import.css"),
        intro: t(locale, "import.previewIntro", { name: run.name }),
        columns: mappingChoices(run.kind, preview.columns, form.map, locale),
        rows: preview.rows.map((row) => ({
          ...row,
          values: preview.columns.map((_c, i) => row.values[i] ?? ""),
          reasons: row.rejects.map((r) => `${r.column}: ${r.reason}`).join("; "),
        })),
        form,
        errors,
      },
      { status: Object.keys(errors).length > 0 ? 400 : 200, title: "import.previewTitle" },
    );
  }
}

/**
 * Reads the multipart fields sent before the file (`_csrf`, `kind`) into `request.body`, so the console's
 * sign-in, role and CSRF checks run before a byte of the file is stored; the file part waits, unread.
 */
async function readFieldsFirst(request: FastifyRequest): Promise<void> {
  if (!request.staff || !request.isMultipart()) return;
  try {
    const file = await request.file();
    const fields: Record<string, string> = {};
    const parts = file?.fields ?? {};
    for (const [name, part] of Object.entries(parts)) {
      const one = Array.isArray(part) ? part[0] : part;
      if (one && one.type === "field" && typeof one.value === "string") fields[name] = one.value;
    }
    request.body = fields;
    if (file) uploads.set(request, file);
  } catch {
    request.body = {};
  }
}

/** The base name of an uploaded file, printable and at most 200 characters. */
function fileNameOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? "";
  const clean = base
    .replace(/[\p{C}"]/gu, "")
    .trim()
    .slice(-200);
  return clean === "" ? "upload.csv" : clean;
}

/** The start form's options checked against the file: `--map` pairs and the country. */
async function checkOptions(
  path: string,
  file: { kind: ImportKind; name: string },
  form: PreviewForm,
  locale: Parameters<typeof t>[0],
): Promise<{ map: string[]; country?: string } | { errors: { map?: string; country?: string } }> {
  const errors: { map?: string; country?: string } = {};
  const country = countryOf(form.country);
  if (form.country.trim() !== "" && !country) errors.country = t(locale, "import.errorCountry");
  const { map, mapError } = await previewWithChoices(path, file, form, 1);
  if (mapError) errors.map = t(locale, "import.errorMap", { reason: mapError });
  if (errors.map || errors.country) return { errors };
  return { map, ...(country && { country }) };
}
