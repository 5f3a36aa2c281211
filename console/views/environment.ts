import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { HELPERS, type ViewData } from "./helpers.ts";

/** The folder of the console's views: `<name>.hbs` pages (subfolders allowed), `partials/<name>.hbs`, `layout.hbs`. */
export const VIEWS_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The compiled views of the console. */
export interface ConsoleViews {
  /** Whether a view exists: "inbox", "customers/show". */
  has(view: string): boolean;
  /** Renders a view (or "layout") to HTML. Throws for an unknown view. */
  render(view: string, context: object, data: ViewData): string;
}

function hbsFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return hbsFiles(file, base);
    return entry.name.endsWith(".hbs") ? [path.relative(base, file)] : [];
  });
}

const nameOf = (relative: string) => relative.slice(0, -".hbs".length).split(path.sep).join("/");

/**
 * Compiles every view in `dir` with the console's own Handlebars environment (its helpers and partials never
 * leak into message templates, nor theirs in here). A syntax error stops start-up, naming the file.
 */
export function loadViews(dir: string = VIEWS_DIR): ConsoleViews {
  const env = Handlebars.create();
  env.registerHelper(HELPERS);
  const views = new Map<string, Handlebars.TemplateDelegate>();
  for (const relative of hbsFiles(dir)) {
    const source = readFileSync(path.join(dir, relative), "utf8");
    try {
      env.parse(source);
    } catch (error) {
      throw new Error(`console/views/${relative}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const name = nameOf(relative);
    if (name.startsWith("partials/")) env.registerPartial(name.slice("partials/".length), source);
    else views.set(name, env.compile(source));
  }
  return {
    has: (view) => views.has(view),
    render(view, context, data) {
      const template = views.get(view);
      if (!template) throw new Error(`no console view "${view}": add console/views/${view}.hbs`);
      return template(context, { data });
    },
  };
}
