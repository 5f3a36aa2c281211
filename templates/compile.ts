import Handlebars from "handlebars";
import { TemplateError } from "../lib/errors.ts";
import type { Source } from "./located.ts";
import { didYouMean } from "./suggest.ts";

/** "html" escapes data (`&` → `&amp;`); "text" is for plain text, subjects and chat, and never escapes. */
export type Mode = "html" | "text";

/** What a template may refer to: the helpers and partials registered in its store. */
export interface Known {
  helpers: ReadonlySet<string>;
  partials: ReadonlySet<string>;
}

/** Partials whose file ends in `.txt.hbs` are plain text; all others are HTML. */
export function partialMode(name: string): Mode {
  return name.endsWith(".txt") ? "text" : "html";
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/**
 * Deepest nesting of blocks (`{{#if}}`, `{{#each}}`, partial blocks) a template may have. No message needs
 * more, and Handlebars' compiler slows down faster than the depth grows: 10 000 nested ifs took minutes.
 */
export const MAX_BLOCK_NESTING = 64;

/** Text with its comments blanked out, newlines kept, so `{{!-- {{#if}} --}}` is not read as a block. */
function withoutComments(text: string): string {
  return text.replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, (c) => c.replace(/[^\n]/g, " "));
}

/** The line of the first block opened deeper than {@link MAX_BLOCK_NESTING}, if any. */
function tooDeep(text: string): number | undefined {
  const code = withoutComments(text);
  let depth = 0;
  for (const match of code.matchAll(/\{\{~?\s*(#>|#\*?|\^|\/)/g)) {
    depth += match[1] === "/" ? -1 : 1;
    if (depth > MAX_BLOCK_NESTING) return lineOf(code, match.index);
  }
  return undefined;
}

/** Finds the first block opened and never closed, for a clearer message than the parser's "got 'EOF'". */
function unclosedBlock(text: string): { name: string; line: number } | undefined {
  const code = withoutComments(text);
  const open: { name: string; line: number }[] = [];
  for (const match of code.matchAll(/\{\{~?\s*(#>|#\*?|\^|\/)\s*([^\s}~]+)/g)) {
    const [, sigil, name] = match;
    if (sigil === "/") open.pop();
    else open.push({ name: `${sigil}${name}`, line: lineOf(code, match.index) });
  }
  return open.at(-1);
}

function syntaxError(error: unknown, source: Source): TemplateError {
  const message = error instanceof Error ? error.message : String(error);
  const at = (line: number) => line + source.lineOffset;
  const lineNumber = (error as { lineNumber?: unknown }).lineNumber;
  if (typeof lineNumber === "number") {
    const text = message.replace(/ - \d+:\d+$/, "");
    const mismatch = /^(\S+) doesn't match (\S+)$/.exec(text);
    const explained = mismatch
      ? `{{#${mismatch[1]}}} opened here is closed by {{/${mismatch[2]}}}: close it with {{/${mismatch[1]}}}`
      : text;
    return new TemplateError(explained, source.file, at(lineNumber));
  }
  const parsed = /^Parse error on line (\d+):.*got '([^']+)'/s.exec(message);
  if (!parsed) return new TemplateError(`syntax error: ${message}`, source.file);
  const open = parsed[2] === "EOF" ? unclosedBlock(source.text) : undefined;
  if (open) {
    const name = open.name.replace(/^[#^*>]+/, "");
    return new TemplateError(
      `{{${open.name}}} is never closed: add {{/${name}}}`,
      source.file,
      at(open.line),
    );
  }
  const line = Number(parsed[1]);
  const quoted = source.text.split("\n")[line - 1]?.trim() ?? "";
  return new TemplateError(
    `syntax error (unexpected ${parsed[2]}): check the braces on this line:\n  ${quoted}`,
    source.file,
    at(line),
  );
}

type Node = hbs.AST.Node;

/** Walks a parsed template and reports the first unknown helper or partial, with its line. */
class ReferenceCheck extends Handlebars.Visitor {
  private readonly problems: { message: string; line: number }[] = [];
  private readonly partialRefs: { name: string; node: Node }[] = [];
  private readonly inline = new Set<string>();

  constructor(
    private readonly known: Known,
    private readonly mode: Mode,
  ) {
    super();
  }

  private report(message: string, node: Node): void {
    this.problems.push({ message, line: node.loc.start.line });
  }

  private helper(node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression): void {
    if (!Handlebars.AST.helpers.helperExpression(node) || node.path.type !== "PathExpression") return;
    const name = (node.path as hbs.AST.PathExpression).original;
    if (this.known.helpers.has(name)) return;
    this.report(
      `"${name}" is not a helper.${didYouMean(name, this.known.helpers)} ` +
        `Helpers: ${[...this.known.helpers].sort().join(", ")}.`,
      node,
    );
  }

  private partial(node: hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement): void {
    if (node.name.type === "PathExpression" && node.name.original !== "@partial-block") {
      this.partialRefs.push({ name: node.name.original, node });
    }
  }

  /** Partials are checked once the whole file is read, since `{{#*inline}}` may define one anywhere. */
  private checkPartials(): void {
    for (const { name, node } of this.partialRefs) {
      if (this.inline.has(name)) continue;
      if (!this.known.partials.has(name)) {
        const known = [...this.known.partials].sort().join(", ") || "none";
        this.report(
          `no partial "${name}" in templates/partials/.${didYouMean(name, this.known.partials)} Partials: ${known}.`,
          node,
        );
      } else if (partialMode(name) !== this.mode) {
        this.report(
          this.mode === "html"
            ? `"${name}" is a plain-text partial and would not escape data here: use an HTML partial`
            : `"${name}" is an HTML partial and would put HTML in plain text: use a .txt partial`,
          node,
        );
      }
    }
  }

  /** Checks `program` and returns its first problem by line, if any. */
  run(program: hbs.AST.Program): { message: string; line: number } | undefined {
    this.accept(program);
    this.checkPartials();
    return this.problems.sort((a, b) => a.line - b.line)[0];
  }

  override DecoratorBlock(node: hbs.AST.DecoratorBlock): void {
    const [first] = node.params;
    if (node.path.original === "inline" && first?.type === "StringLiteral") {
      this.inline.add((first as hbs.AST.StringLiteral).value);
    }
    super.DecoratorBlock(node);
  }
  override MustacheStatement(node: hbs.AST.MustacheStatement): void {
    this.helper(node);
    super.MustacheStatement(node);
  }
  override BlockStatement(node: hbs.AST.BlockStatement): void {
    this.helper(node);
    super.BlockStatement(node);
  }
  override SubExpression(node: hbs.AST.SubExpression): void {
    this.helper(node);
    super.SubExpression(node);
  }
  override PartialStatement(node: hbs.AST.PartialStatement): void {
    this.partial(node);
    super.PartialStatement(node);
  }
  override PartialBlockStatement(node: hbs.AST.PartialBlockStatement): void {
    this.partial(node);
    super.PartialBlockStatement(node);
  }
}

/**
 * Parses and compiles one template text in `strict` mode (a printed field missing from the data is an error,
 * blocks such as `{{#if}}` accept missing fields). Syntax errors, unknown helpers and unknown partials throw a
 * {@link TemplateError} naming the file and line before anything is rendered.
 */
export function compileTemplate(
  env: typeof Handlebars,
  source: Source,
  mode: Mode,
  known: Known,
): Handlebars.TemplateDelegate<unknown> {
  const deep = tooDeep(source.text);
  if (deep !== undefined) {
    throw new TemplateError(
      `blocks nested deeper than ${MAX_BLOCK_NESTING} levels: split the message into partials`,
      source.file,
      deep + source.lineOffset,
    );
  }
  let ast: hbs.AST.Program;
  try {
    ast = env.parse(source.text);
  } catch (error) {
    throw syntaxError(error, source);
  }
  const problem = new ReferenceCheck(known, mode).run(ast);
  if (problem) throw new TemplateError(problem.message, source.file, problem.line + source.lineOffset);
  return env.compile(ast, { strict: true, noEscape: mode === "text" });
}
