import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { type ChannelName, type Locale, SENDING_CHANNEL_NAMES, toLocale } from "../lib/channels.ts";
import { TemplateError } from "../lib/errors.ts";
import { compileTemplate, type Known, type Mode, partialMode } from "./compile.ts";
import { assertTimezone } from "./format.ts";
import { parseEmailFile } from "./front-matter.ts";
import { HELPERS, type RenderData } from "./helpers.ts";
import { htmlToText, tidyText } from "./html-to-text.ts";
import { type Source, SourceTracker } from "./located.ts";
import { candidates, textCompanion } from "./lookup.ts";
import { didYouMean } from "./suggest.ts";

/** One message rendered for one channel, ready to hand to a `Channel`. */
export interface RenderedMessage {
  /** Email subject, whitespace collapsed to single spaces. Only for email. */
  subject?: string;
  /** Email HTML body. Only for email. */
  html?: string;
  /** Plain text: the email's text part, or the whole chat message. */
  text: string;
  /** The locale actually used: the one asked for, or `en` when the template lacks it. */
  locale: Locale;
  /** The template's name (its folder). */
  template: string;
  /** The channel rendered for. */
  channel: ChannelName;
}

/** Options of one render. */
export interface RenderOptions {
  /** IANA timezone for the `date` helper, e.g. the customer's "Asia/Jakarta". Defaults to UTC. */
  timezone?: string;
}

/** Renders the templates of one folder. Compiled templates are cached for the store's lifetime. */
export interface TemplateStore {
  /**
   * Renders template `name` for `channel` in `locale` (any BCP 47 tag; unsupported ones fall back to `en`).
   * Throws {@link TemplateError} naming file and line for a missing template, a syntax error, an unknown
   * helper or partial, or a printed field missing from `data`.
   */
  render(
    name: string,
    channel: ChannelName,
    locale: string,
    data: Record<string, unknown>,
    options?: RenderOptions,
  ): RenderedMessage;
  /**
   * Renders one short Handlebars text (a WhatsApp template's parameter, `{{customer.name}}`) with the same
   * helpers, strictness and data as a template file; `where` names it in errors (the campaign's key).
   */
  renderText(
    text: string,
    channel: ChannelName,
    locale: string,
    data: Record<string, unknown>,
    options?: RenderOptions & { where?: string },
  ): string;
  /** True when `name` can be rendered for `channel` in every locale, i.e. its English file exists. */
  has(name: string, channel: ChannelName): boolean;
  /** Every template name (folder holding at least one `.hbs`), sorted. */
  names(): string[];
}

/** Options of {@link createTemplateStore}. */
export interface TemplateStoreOptions {
  /** The templates folder. Defaults to this `templates/` folder. */
  dir?: string;
}

type Delegate = Handlebars.TemplateDelegate<unknown>;
interface CompiledEmail {
  subject: Delegate;
  preheader: Delegate | undefined;
  html: Delegate;
  text: Delegate | undefined;
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/i;
const INTERNAL_HELPERS = new Set(["helperMissing", "blockHelperMissing"]);

/** Creates a store reading templates from `options.dir` (default: this folder). Nothing is read until used. */
export function createTemplateStore(options: TemplateStoreOptions = {}): TemplateStore {
  const dir = resolve(options.dir ?? fileURLToPath(new URL(".", import.meta.url)));
  const env = Handlebars.create();
  env.registerHelper(HELPERS);
  const tracker = new SourceTracker();
  const listings = new Map<string, ReadonlySet<string>>();
  const emails = new Map<string, CompiledEmail>();
  const chats = new Map<string, Delegate>();
  const texts = new Map<string, Delegate>();
  let known: Known | undefined;

  const display = (path: string) => {
    const rel = relative(process.cwd(), path);
    return (rel.startsWith("..") || isAbsolute(rel) ? path : rel).split(sep).join("/");
  };

  const listing = (folder: string): ReadonlySet<string> => {
    let files = listings.get(folder);
    if (!files) {
      try {
        files = new Set(readdirSync(join(dir, folder)));
      } catch {
        files = new Set();
      }
      listings.set(folder, files);
    }
    return files;
  };

  const compile = (path: string, text: string, lineOffset: number, mode: Mode): Delegate => {
    const source: Source = { file: display(path), lineOffset, text };
    return tracker.track(compileTemplate(env, source, mode, loadPartials()), source);
  };

  function loadPartials(): Known {
    if (known) return known;
    const files = [...listing("partials")].filter((f) => f.endsWith(".hbs"));
    const helpers = new Set(Object.keys(env.helpers).filter((h) => !INTERNAL_HELPERS.has(h)));
    known = { helpers, partials: new Set(files.map((f) => f.slice(0, -".hbs".length))) };
    for (const file of files) {
      const name = file.slice(0, -".hbs".length);
      const path = join(dir, "partials", file);
      env.registerPartial(name, compile(path, readFileSync(path, "utf8"), 0, partialMode(name)));
    }
    return known;
  }

  const email = (name: string, file: string): CompiledEmail => {
    const path = join(dir, name, file);
    let compiled = emails.get(path);
    if (!compiled) {
      const parsed = parseEmailFile(readFileSync(path, "utf8"), display(path));
      const { subject, preheader } = parsed.meta;
      const textFile = textCompanion(file);
      const textPath = join(dir, name, textFile);
      compiled = {
        subject: compile(path, subject, (parsed.keyLines.subject ?? 2) - 1, "text"),
        preheader: preheader
          ? compile(path, preheader, (parsed.keyLines.preheader ?? 2) - 1, "text")
          : undefined,
        html: compile(path, parsed.body, parsed.bodyOffset, "html"),
        text: listing(name).has(textFile)
          ? compile(textPath, readFileSync(textPath, "utf8"), 0, "text")
          : undefined,
      };
      emails.set(path, compiled);
    }
    return compiled;
  };

  const chat = (name: string, file: string): Delegate => {
    const path = join(dir, name, file);
    let compiled = chats.get(path);
    if (!compiled) {
      compiled = compile(path, readFileSync(path, "utf8"), 0, "text");
      chats.set(path, compiled);
    }
    return compiled;
  };

  const folders = () => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
  };

  const names = (): string[] =>
    folders()
      .filter((e) => e.isDirectory() && e.name !== "partials" && NAME.test(e.name))
      .filter((e) => [...listing(e.name)].some((f) => f.endsWith(".hbs")))
      .map((e) => e.name)
      .sort();

  const check = (name: string, channel: ChannelName) => {
    if (!NAME.test(name)) {
      throw new TemplateError(
        `template names are folder names like "thank-you", got ${JSON.stringify(name)}`,
      );
    }
    if (!(SENDING_CHANNEL_NAMES as readonly string[]).includes(channel)) {
      throw new TemplateError(
        `unknown channel ${JSON.stringify(channel)}: one of ${SENDING_CHANNEL_NAMES.join(", ")}`,
      );
    }
  };

  return {
    render(name, channel, locale, data, renderOptions = {}) {
      check(name, channel);
      if (typeof data !== "object" || data === null || Array.isArray(data)) {
        throw new TemplateError(
          `the data for "${name}" must be an object, got ${Array.isArray(data) ? "a list" : data}`,
        );
      }
      const { timezone } = renderOptions;
      if (timezone !== undefined) {
        try {
          assertTimezone(timezone);
        } catch (error) {
          throw new TemplateError((error as Error).message);
        }
      }
      const tried = candidates(channel, toLocale(locale));
      const pick = tried.find((c) => listing(name).has(c.file));
      if (!pick) {
        const looked = tried.map((c) => display(join(dir, name, c.file))).join(", ");
        const hint = listing(name).size === 0 ? didYouMean(name, names()) : "";
        throw new TemplateError(`no "${name}" template for ${channel}: looked for ${looked}.${hint}`);
      }
      const base: RenderData = { locale: pick.locale, timezone, subject: "", preheader: "", channel };
      const result = { locale: pick.locale, template: name, channel };
      if (channel !== "email") {
        return { ...result, text: tidyText(chat(name, pick.file)(data, { data: base })) };
      }
      const compiled = email(name, pick.file);
      const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
      const subject = oneLine(compiled.subject(data, { data: base }));
      const preheader = compiled.preheader
        ? oneLine(compiled.preheader(data, { data: { ...base, subject } }))
        : "";
      const full = { data: { ...base, subject, preheader } };
      const html = compiled.html(data, full);
      const text = compiled.text ? tidyText(compiled.text(data, full)) : htmlToText(html);
      return { ...result, subject, html, text };
    },
    renderText(text, channel, locale, data, renderOptions = {}) {
      const { timezone, where = "a template parameter" } = renderOptions;
      if (timezone !== undefined) {
        try {
          assertTimezone(timezone);
        } catch (error) {
          throw new TemplateError((error as Error).message);
        }
      }
      const key = `${where}\u0000${text}`;
      let compiled = texts.get(key);
      if (!compiled) {
        compiled = tracker.track(
          compileTemplate(env, { file: where, lineOffset: 0, text }, "text", loadPartials()),
          { file: where, lineOffset: 0, text },
        );
        texts.set(key, compiled);
      }
      const base: RenderData = { locale: toLocale(locale), timezone, subject: "", preheader: "", channel };
      return tidyText(compiled(data, { data: base }));
    },
    has(name, channel) {
      check(name, channel);
      return candidates(channel, "en").some((c) => listing(name).has(c.file));
    },
    names,
  };
}
