import { z } from "zod";
import { expected } from "./expected.ts";

const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.:-]*$/;

/** A kebab-case name (`win-back-60d`): campaign ids and template names. */
export function kebabName(what: string) {
  const error = expected(`${what} in kebab-case: lowercase letters, digits and dashes`);
  return z.string({ error }).regex(KEBAB, { error });
}

/** An event, segment or variant name (`purchase`, `cart_abandoned`, `vip`). */
export function identifier(what: string) {
  const error = expected(`${what}: a letter, then letters, digits, _ . : or -`);
  return z.string({ error }).regex(IDENTIFIER, { error });
}

/** A short free text that must not be empty (a campaign's display name, an audience expression). */
export function text(what: string) {
  const error = expected(what);
  return z.string({ error }).trim().min(1, { error });
}

/** A whole number in [min, max]. */
export function wholeNumber(what: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  const error = expected(`${what}: a whole number ${range}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A map of names to any YAML values (template data, event property filters). */
export function freeMap(what: string) {
  return z.record(z.string(), z.unknown(), { error: expected(what) });
}
