import type { RuntimeOptions, TemplateDelegate } from "handlebars";
import { TemplateError } from "../lib/errors.ts";

/** Where a compiled piece of template text comes from, so errors can name `file:line`. */
export interface Source {
  /** The file as shown to people: relative to the working directory when inside it, else absolute. */
  file: string;
  /** Lines of the file before the compiled text (front matter), added to Handlebars' 1-based line numbers. */
  lineOffset: number;
  /** The compiled text itself, to quote the expression at fault. */
  text: string;
}

/** An error raised while rendering, with the template line (as Handlebars counts it) when known. */
export class RenderFault extends Error {
  override name = "RenderFault";
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const UNREADABLE = /^Cannot read properties of (undefined|null) \(reading '([^']+)'\)/;
const MISSING_FIELD = /^"(.+)" not defined in .* - (\d+):(\d+)$/s;

/** The path expression written at a 1-based line and 0-based column, e.g. "customer.nmae". */
function expressionAt(source: Source, line: number, column: number): string | undefined {
  const text = source.text.split("\n")[line - 1]?.slice(column);
  return text?.match(/^[@\w./\-[\]]+/)?.[0];
}

/** Turns anything thrown while rendering `source` into a {@link TemplateError} naming its file and line. */
export function toTemplateError(error: unknown, source: Source): TemplateError {
  if (error instanceof TemplateError) return error;
  const at = (line: number | undefined) => (line === undefined ? undefined : line + source.lineOffset);
  if (error instanceof RenderFault) return new TemplateError(error.message, source.file, at(error.line));
  const message = error instanceof Error ? error.message : String(error);
  const missing = MISSING_FIELD.exec(message);
  if (missing) {
    const line = Number(missing[2]);
    const path = expressionAt(source, line, Number(missing[3])) ?? missing[1];
    return new TemplateError(
      `{{${path}}} is not in the data ("${missing[1]}" is missing): check the spelling against the message's ` +
        `data contract, or print an optional field inside {{#if ${path}}}…{{/if}}`,
      source.file,
      at(line),
    );
  }
  const unreadable = UNREADABLE.exec(message);
  if (unreadable) {
    // Handlebars reads `a.b` in a block parameter without checking `a`: find the expression by its last part.
    const property = unreadable[2]!;
    const found = [...source.text.matchAll(/[@\w/-]+(?:\.[\w-]+)*/g)].find((m) =>
      m[0].endsWith(`.${property}`),
    );
    const path = found?.[0] ?? property;
    const parent = path.slice(0, path.lastIndexOf("."));
    return new TemplateError(
      `${path} cannot be read because ${parent || "its parent"} is ${unreadable[1]} in the data: ` +
        `check the data contract, or test it first with {{#if ${parent || path}}}…{{/if}}`,
      source.file,
      found ? at(source.text.slice(0, found.index).split("\n").length) : undefined,
    );
  }
  const line = (error as { lineNumber?: unknown }).lineNumber;
  return new TemplateError(
    `rendering failed: ${message.replace(/ - \d+:\d+$/, "")}`,
    source.file,
    at(typeof line === "number" ? line : undefined),
  );
}

type Delegate = TemplateDelegate<unknown>;

/**
 * Wraps compiled templates and partials so an error raised while one runs names that file, including errors
 * raised in the caller's block content while a layout partial (`{{#> email-layout}}…`) renders it. Rendering is
 * synchronous, so one stack per store is enough.
 */
export class SourceTracker {
  private readonly stack: Source[] = [];
  private readonly tracked = new WeakSet<Delegate>();

  /** Returns `fn` wrapped so errors it raises become {@link TemplateError}s naming `source`. */
  track(fn: Delegate, source: Source): Delegate {
    const tracked: Delegate = (context, options?: RuntimeOptions) => {
      const data = options?.data as Record<string, unknown> | undefined;
      const caller = this.stack.at(-1);
      // A partial called with a block gets that block as `@partial-block`: it is the caller's text, so errors
      // in it must name the caller's file, not the partial's.
      const block = data && Object.hasOwn(data, "partial-block") ? data["partial-block"] : undefined;
      if (caller && typeof block === "function" && !this.tracked.has(block as Delegate)) {
        (data as Record<string, unknown>)["partial-block"] = this.track(block as Delegate, caller);
      }
      this.stack.push(source);
      try {
        return fn(context, options);
      } catch (error) {
        throw toTemplateError(error, source);
      } finally {
        this.stack.pop();
      }
    };
    this.tracked.add(tracked);
    return tracked;
  }
}
