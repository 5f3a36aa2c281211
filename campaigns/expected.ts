/** How a value a marketer wrote is named back to them in an error: strings quoted, maps and lists by kind. */
export function describeValue(input: unknown): string {
  if (input === undefined || input === null) return "nothing";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a map";
  if (typeof input === "string") return JSON.stringify(input);
  return String(input);
}

/**
 * A zod error message of the form "expected <what>, got <value>", for schemas whose default messages
 * ("Invalid input: expected string, received number") mean nothing to a marketer.
 */
export function expected(what: string): (issue: { code?: string; input?: unknown }) => string | undefined {
  // an unknown key is worded by the compiler's own error map, which also suggests the key meant
  return (issue) => {
    if (issue.code === "unrecognized_keys") return undefined;
    // a missing key has no input: "missing key 'x'" already says what was got
    return issue.input === undefined
      ? `expected ${what}`
      : `expected ${what}, got ${describeValue(issue.input)}`;
  };
}
