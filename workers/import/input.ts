import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { type InfoRecord, type Options, parse } from "csv-parse";

/** The two file formats: CSV (any of `,` `;` tab `|` as delimiter) or one JSON object a line. */
export type InputFormat = "csv" | "jsonl";

/** One row of the file: its first line's number, the header's names and the cells under them. */
export type RawRecord =
  | { line: number; headers: readonly string[]; values: unknown[] }
  /** A line that is not a row at all (JSONL that does not parse): rejected as a whole. */
  | { line: number; error: string; text: string };

/** A file that cannot be read at all (not UTF-8, broken quoting, not gzip…), with the line where it broke. */
export class InputError extends Error {
  override name = "InputError";
  constructor(
    message: string,
    /** The 1-based line, when known. */
    readonly line?: number,
  ) {
    super(message);
  }
}

export interface InputOptions {
  /** `csv` or `jsonl`; unset: from `name` (`.jsonl`, `.ndjson` → JSONL, otherwise CSV), else by the first character. */
  format?: InputFormat;
  /** The file's name, for the format; `.gz` at its end is ignored (gzip is recognised by its magic bytes). */
  name?: string;
  /** The CSV delimiter; unset: the one of `,` `;` tab `|` the header line has most of. */
  delimiter?: string;
  /** Told which format the file turned out to be, before its first row. */
  onFormat?: (format: InputFormat) => void;
  /** Told the bytes read from `input` (compressed bytes for gzip), for progress. */
  onBytes?: (bytes: number) => void;
}

/** Longest record accepted: a longer one means a runaway quote or not a CSV at all. */
const MAX_RECORD_BYTES = 1_000_000;
const DELIMITERS = [",", ";", "\t", "|"];

/**
 * The rows of a CSV or JSONL file, gzipped or not, as they stream in (memory stays flat). The header line
 * names the CSV's columns; each JSON line's keys name its own (a nested `customer` object is flattened,
 * as `POST /api/events` bodies have it). Throws {@link InputError} when the file cannot be read at all.
 */
export async function* readRecords(input: Readable, options: InputOptions = {}): AsyncGenerator<RawRecord> {
  const text = decodeUtf8(input, options.onBytes);
  const first = await text.next();
  if (first.done) return;
  const head = first.value;
  const rest = (async function* () {
    yield head;
    yield* text;
  })();
  const name = (options.name ?? "").toLowerCase().replace(/\.gz$/, "");
  const format =
    options.format ??
    (/\.(jsonl|ndjson|json)$/.test(name) ? "jsonl" : /\.(csv|tsv|txt)$/.test(name) ? "csv" : undefined) ??
    (head.trimStart().startsWith("{") ? "jsonl" : "csv");
  options.onFormat?.(format);
  if (format === "jsonl") yield* jsonLines(rest);
  else yield* csvRows(rest, options.delimiter ?? sniffDelimiter(head));
}

/** The delimiter the header line (the text up to its first line break) holds most of; `,` on a tie. */
export function sniffDelimiter(text: string): string {
  const end = text.indexOf("\n");
  const header = end < 0 ? text : text.slice(0, end);
  let best = ",";
  let most = 0;
  for (const candidate of DELIMITERS) {
    const count = header.split(candidate).length - 1;
    if (count > most) {
      best = candidate;
      most = count;
    }
  }
  return best;
}

/** Bytes → UTF-8 text, gunzipping first when the bytes start with gzip's magic; refuses other encodings. */
async function* decodeUtf8(input: Readable, onBytes?: (bytes: number) => void): AsyncGenerator<string> {
  const raw = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first = await raw.next();
  if (first.done) return;
  let read = 0;
  const counted = (async function* () {
    for (let step: IteratorResult<Buffer | string> = first; !step.done; step = await raw.next()) {
      const chunk = typeof step.value === "string" ? Buffer.from(step.value) : step.value;
      read += chunk.length;
      onBytes?.(read);
      yield chunk;
    }
  })();
  const head = typeof first.value === "string" ? Buffer.from(first.value) : first.value;
  let bytes: AsyncIterable<Buffer> = counted;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    bytes = pipeline(Readable.from(counted), createGunzip(), () => {});
  }
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let lines = 1;
  let start = true;
  try {
    for await (const chunk of bytes) {
      if (
        start &&
        chunk.length >= 2 &&
        ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))
      )
        throw new InputError("the file is UTF-16 text: save it as UTF-8 (in a spreadsheet: CSV UTF-8)", 1);
      start = false;
      let decoded: string;
      try {
        decoded = decoder.decode(chunk, { stream: true });
      } catch {
        const loose = new TextDecoder("utf-8").decode(chunk);
        const at = loose.indexOf("\uFFFD");
        const line = lines + (loose.slice(0, Math.max(0, at)).split("\n").length - 1);
        throw new InputError(
          "the file is not UTF-8 text (Windows-1250 or Latin-1?): save it as UTF-8 (in a spreadsheet: CSV UTF-8)",
          line,
        );
      }
      lines += decoded.split("\n").length - 1;
      if (decoded) yield decoded;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: string }).code;
    if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR")
      throw new InputError(`the gzip data is damaged (${(error as Error).message})`, lines);
    throw error;
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

/** CSV records through csv-parse, each with the line it starts on (quoted fields may span lines). */
async function* csvRows(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<RawRecord> {
  const parser = parse({
    delimiter,
    bom: true,
    // the line numbers from on_record: `info: true` copies a whole info object per record (twice as slow)
    on_record: ((record: string[], context: InfoRecord) => ({
      record,
      lines: context.lines,
      empty: context.empty_lines,
    })) as unknown as Options["on_record"],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  const records = pipeline(Readable.from(lineFeeds(text)), parser, () => {}) as AsyncIterable<{
    record: string[];
    lines: number;
    empty: number;
  }>;
  let headers: string[] | undefined;
  let lastLine = 0;
  let lastEmpty = 0;
  try {
    for await (const { record, lines, empty } of records) {
      const line = lastLine + 1 + (empty - lastEmpty);
      lastLine = lines;
      lastEmpty = empty;
      if (!headers) {
        headers = record.map((h, i) => h.trim() || `column_${i + 1}`);
        continue;
      }
      if (record.length === 1 && record[0]!.trim() === "") continue;
      yield { line, headers, values: record };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const failed = error as { code?: string; lines?: number; message: string };
    if (failed.code?.startsWith("CSV_"))
      throw new InputError(`not a CSV file this importer can read: ${failed.message}`, failed.lines);
    throw error;
  }
}

/**
 * CRLF as LF: csv-parse counts the CR and the LF of a line break inside a quoted cell as two lines, which
 * would put every later reject on the wrong line (and a cell's line break is a line break either way).
 */
async function* lineFeeds(text: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = "";
  for await (const chunk of text) {
    let part = carry + chunk;
    carry = "";
    if (part.endsWith("\r")) {
      carry = "\r";
      part = part.slice(0, -1);
    }
    yield part.includes("\r\n") ? part.replace(/\r\n/g, "\n") : part;
  }
  if (carry) yield carry;
}

/** JSON lines: one object each; a line that is not a JSON object is a record of its own, in error. */
async function* jsonLines(text: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  let buffer = "";
  let line = 0;
  const one = (raw: string): RawRecord | undefined => {
    line++;
    const trimmed = raw.trim();
    if (!trimmed) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      return { line, error: `not JSON: ${(error as Error).message}`, text: trimmed.slice(0, 200) };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return { line, error: "expected a JSON object", text: trimmed.slice(0, 200) };
    const flat: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "customer" && v && typeof v === "object" && !Array.isArray(v)) {
        for (const [inner, w] of Object.entries(v)) if (!(inner in flat)) flat[inner] = w;
      } else flat[key] = v;
    }
    return { line, headers: Object.keys(flat), values: Object.values(flat) };
  };
  for await (const chunk of text) {
    buffer += chunk;
    let from = 0;
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n", from)) {
      const record = one(buffer.slice(from, at));
      if (record) yield record;
      from = at + 1;
    }
    buffer = buffer.slice(from);
    if (buffer.length > MAX_RECORD_BYTES)
      throw new InputError(`a line longer than ${MAX_RECORD_BYTES} bytes: not JSON lines`, line + 1);
  }
  const record = one(buffer);
  if (record) yield record;
}
