import { createReadStream } from "node:fs";
import type { CountryCode } from "libphonenumber-js";
import { z } from "zod";
import type { Locale } from "../lib/channels.ts";
import {
  type ImportKind,
  InputError,
  importFieldsOf,
  MappingError,
  previewImport,
} from "../workers/index.ts";
import { t } from "./i18n.ts";

/** Columns a file may have that the preview offers a choice for. */
const MAX_COLUMNS = 200;

/**
 * The mapping preview's form: `map_<n>` the field chosen for the n-th column ("" keeps what was detected,
 * `ignore` drops it), `country` the region of national phone numbers, `dryRun` a checkbox.
 */
export const PreviewForm = z
  .record(z.string().max(100), z.union([z.string().max(1_000), z.array(z.string().max(1_000)).max(10)]))
  .transform((body) => {
    const map: Record<number, string> = {};
    for (const [key, value] of Object.entries(body)) {
      const at = /^map_(\d{1,3})$/.exec(key);
      if (at && Number(at[1]) < MAX_COLUMNS) map[Number(at[1])] = [value].flat()[0] ?? "";
    }
    const one = (v: unknown) => [v].flat()[0];
    const country = one(body.country);
    return {
      map,
      country: typeof country === "string" ? country : "",
      dryRun: one(body.dryRun) !== undefined,
    };
  });
export type PreviewForm = z.infer<typeof PreviewForm>;

/** The form's choices as `--map column=field` pairs for the file's columns ("" choices left out). */
export function mapOf(map: Record<number, string>, columns: readonly string[]): string[] {
  return columns.flatMap((column, i) => {
    const choice = map[i]?.trim() ?? "";
    return choice === "" ? [] : [`${column}=${choice}`];
  });
}

/** The form's country when it is two letters (any case), else undefined. */
export function countryOf(value: string): CountryCode | undefined {
  const country = value.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(country) ? (country as CountryCode) : undefined;
}

type Preview = Awaited<ReturnType<typeof previewImport>>;

/**
 * The first `rows` rows of an upload read with the form's choices: the columns as detected (what the selects
 * are for), the preview with the choices applied, the `--map` pairs they make, and why they cannot be
 * applied (a field the kind does not have), in which case `preview` is the detected one.
 */
export async function previewWithChoices(
  path: string,
  file: { kind: ImportKind; name: string },
  form: PreviewForm,
  rows: number,
): Promise<{ detected: Preview; preview: Preview; map: string[]; mapError?: string }> {
  const read = (map: string[]) =>
    previewImport(createReadStream(path), { ...file, map, country: countryOf(form.country) }, rows);
  const unreadable = (error: unknown) => error instanceof MappingError || error instanceof InputError;
  const detected = await read([]).catch((error) => {
    if (unreadable(error)) return { columns: [], rows: [] };
    throw error;
  });
  const map = mapOf(
    form.map,
    detected.columns.map((c) => c.column),
  );
  try {
    return { detected, preview: await read(map), map };
  } catch (error) {
    if (!unreadable(error)) throw error;
    return { detected, preview: detected, map, mapError: (error as Error).message };
  }
}

/** Each column of the preview with its detected target and the select's options. */
export function mappingChoices(
  kind: ImportKind,
  columns: readonly { column: string; target: string }[],
  map: Record<number, string>,
  locale: Locale,
) {
  const fields = importFieldsOf(kind);
  return columns.map(({ column, target }, i) => {
    const chosen = map[i] ?? "";
    return {
      index: i,
      column,
      target,
      ignored: target === "ignored",
      options: [
        { value: "", label: t(locale, "import.auto"), selected: chosen === "" },
        ...fields.map((f) => ({ value: f, label: f, selected: chosen === f })),
        { value: "ignore", label: t(locale, "import.ignore"), selected: chosen === "ignore" },
      ],
    };
  });
}

/** A size in bytes as staff read it: "12 kB", "3.4 MB", in their language's digits. */
export function formatBytes(bytes: number, locale: Locale): string {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: units[unit],
    unitDisplay: "short",
    maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0,
  }).format(value);
}
