import { parseDocument } from "yaml";
import { z } from "zod";
import { TemplateError } from "../lib/errors.ts";

/** The front matter of an email template. `subject` and `preheader` are Handlebars strings themselves. */
export const EmailFrontMatter = z.strictObject({
  /** The subject line, e.g. `Thank you for your order, {{customer.name}}!`. */
  subject: z.string().trim().min(1),
  /** The preview text inboxes show after the subject. Optional. */
  preheader: z.string().optional(),
});
/** Parsed {@link EmailFrontMatter}. */
export type EmailFrontMatter = z.infer<typeof EmailFrontMatter>;

/** An email template file split into its front matter and its body. */
export interface EmailFile {
  meta: EmailFrontMatter;
  /** 1-based line of each front matter key, for errors in the subject or preheader. */
  keyLines: Partial<Record<keyof EmailFrontMatter, number>>;
  /** The template after the closing `---`. */
  body: string;
  /** Lines before the body (the front matter and its fences). */
  bodyOffset: number;
}

const FENCED = /^---[ \t]*\r?\n([\s\S]*?)\r?\n?---[ \t]*(?:\r?\n|$)/;
const EXAMPLE = "---\nsubject: Thank you for your order!\npreheader: We are getting it ready.\n---";

/** Splits an email template into front matter (validated) and body; errors name `file:line`. */
export function parseEmailFile(text: string, file: string): EmailFile {
  const source = text.replace(/^\uFEFF/, "");
  const fenced = FENCED.exec(source);
  if (!fenced) {
    throw new TemplateError(
      `an email template starts with front matter holding its subject:\n${EXAMPLE}`,
      file,
      1,
    );
  }
  const yaml = fenced[1] ?? "";
  const doc = parseDocument(yaml, { prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0].line ?? 1;
    throw new TemplateError(
      `front matter is not valid YAML: ${yamlError.message.split("\n")[0]}`,
      file,
      line + 1,
    );
  }
  const keyLines: EmailFile["keyLines"] = {};
  yaml.split(/\r?\n/).forEach((text, i) => {
    const key = /^([A-Za-z_][\w-]*)\s*:/.exec(text)?.[1];
    if (key === "subject" || key === "preheader") keyLines[key] ??= i + 2;
  });
  const parsed = EmailFrontMatter.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    // An unknown key is usually a misspelt known one: report it before the "missing" issue it causes.
    const issues = parsed.error.issues;
    const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0]!;
    const key = String(issue.path[0] ?? (issue.code === "unrecognized_keys" ? issue.keys[0] : "") ?? "");
    const line = keyLines[key as keyof EmailFrontMatter] ?? lineOfKey(yaml, key);
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown front matter key "${issue.keys.join('", "')}": an email template has subject and preheader`
        : key === "subject"
          ? `the front matter needs a subject (a text or a Handlebars string):\n${EXAMPLE}`
          : `front matter "${key}": ${issue.message}`;
    throw new TemplateError(message, file, line);
  }
  return {
    meta: parsed.data,
    keyLines,
    body: source.slice(fenced[0].length),
    bodyOffset: fenced[0].split("\n").length - 1,
  };
}

function lineOfKey(yaml: string, key: string): number {
  const index = yaml
    .split(/\r?\n/)
    .findIndex((text) => text.startsWith(`${key}:`) || text.startsWith(`${key} :`));
  return index < 0 ? 1 : index + 2;
}
