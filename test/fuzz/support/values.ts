import fc from "fast-check";

/** A JSON token written exactly as given: numbers JSON.stringify cannot write (1e309, 99999999999999999999, -0). */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): string {
    return `<raw ${this.text.slice(0, 40)}>`;
  }
}

/** Nesting `depth` levels deep, written without recursion so 100 000 levels cost no stack. */
export class DeepJson {
  constructor(
    readonly kind: "array" | "object",
    readonly depth: number,
  ) {}
  toJSON(): string {
    return `<${this.depth} nested ${this.kind}s>`;
  }
}

/** `length` copies of one small JSON text in an array, written without building the array. */
export class HugeArray {
  constructor(
    readonly length: number,
    readonly item: string,
  ) {}
  toJSON(): string {
    return `<array of ${this.length} × ${this.item.slice(0, 40)}>`;
  }
}

/** A generated JSON value, with the special nodes above anywhere inside. */
export type Fuzzed =
  | null
  | boolean
  | number
  | string
  | RawJson
  | DeepJson
  | HugeArray
  | Fuzzed[]
  | { [key: string]: Fuzzed };

/** Writes a generated value as JSON text. */
export function jsonText(value: Fuzzed): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof DeepJson) {
    const [open, close] = value.kind === "array" ? ["[", "]"] : ['{"a":', "}"];
    return `${open.repeat(value.depth)}${value.kind === "array" ? "" : "1"}${close.repeat(value.depth)}`;
  }
  if (value instanceof HugeArray) return `[${new Array(value.length).fill(value.item).join(",")}]`;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${jsonText(value[key] as Fuzzed)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Sets an own property, even one named `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const hostileChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("\u0000", "\ud800", "\udfff", "\ufeff", "\u202e", "\u2028", "\\") },
  { weight: 7, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

/** Strings that break things: NUL, lone surrogates, numbers-as-text, markup, 10⁶ characters. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "x\udfffy",
    "\udc00\ud800",
    "99999999999999999999",
    "-0",
    "NaN",
    "Infinity",
    "-1e309",
    "1e309",
    "0x1F",
    "null",
    "__proto__",
    "constructor",
    "<script>alert(1)</script>",
    '\'; DROP TABLE "Customer"; --',
    "{{constructor.constructor}}",
    "%00",
    "../../etc/passwd",
    "😀😀😀",
  ),
  fc.string({ unit: hostileChar, maxLength: 30 }),
  fc.constantFrom(257, 4_097, 70_000, 1_000_000).map((n) => "x".repeat(n)),
);

/** Amounts and counts as text that a decimal pattern may let through. */
const numericText: fc.Arbitrary<string> = fc.constantFrom(
  "99999999999999999999",
  "99999999999999999999999999999999.9999",
  "1".repeat(400),
  "0.00001",
  "-1",
  "-0",
  "1e309",
  "0",
  "00000000000000000001",
);

/** Numbers JSON can carry but code rarely expects. */
export const hostileNumber: fc.Arbitrary<number | RawJson> = fc.oneof(
  fc.constantFrom(0, -1, 0.5, 1e21, 2 ** 53 + 2, -(2 ** 31), Number.MAX_VALUE, 5e-324),
  fc
    .constantFrom(
      "1e309",
      "-1e309",
      "99999999999999999999",
      "-0",
      "1e-400",
      "0.1e1",
      "123456789012345678901234567890.5",
    )
    .map((text) => new RawJson(text)),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any hostile value: strings, numbers, wrong types, deep nesting, huge arrays, prototype keys. */
export const hostileValue: fc.Arbitrary<Fuzzed> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom<Fuzzed>(null, true, false, [], {}) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom("array" as const, "object" as const),
        fc.constantFrom(2, 64, 1_000, 10_000, 100_000),
      )
      .map(([kind, depth]) => new DeepJson(kind, depth)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(1_001, 100_000), fc.constantFrom("1", '"x"', '{"sku":"A","price":1}'))
      .map(([length, item]) => new HugeArray(length, item)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "toString").map((key) => {
      const value: Record<string, Fuzzed> = {};
      setOwn(value, key, { polluted: true });
      return value;
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Fuzzed> },
);

/** One change to a valid body, at the path numbered `at` (modulo the number of paths). */
export type Mutation =
  | { op: "replace"; at: number; value: Fuzzed }
  | { op: "retype"; at: number; text: string; number: number | RawJson }
  | { op: "delete"; at: number }
  | { op: "add"; at: number; key: string; value: Fuzzed }
  | { op: "wrap"; at: number }
  | { op: "text"; at: number };

/** A change of a valid body: a field replaced by a hostile value, removed, added, wrapped or made text. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: hostileValue }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("retype" as const),
      at: fc.nat(),
      text: fc.oneof(hostileString, numericText),
      number: hostileNumber,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("add" as const),
      at: fc.nat(),
      key: fc.oneof(fc.constantFrom("__proto__", "constructor", "extra"), hostileString),
      value: hostileValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("wrap" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("text" as const), at: fc.nat() }) },
);

type Container = Record<string, unknown> | unknown[];
interface Slot {
  parent: Container | undefined;
  key: string | number;
  value: unknown;
}

/** A copy of a generated value that shares nothing mutable with it (the special nodes are immutable). */
function copy(value: unknown): unknown {
  if (value instanceof RawJson || value instanceof DeepJson || value instanceof HugeArray) return value;
  if (Array.isArray(value)) return value.map(copy);
  if (typeof value === "object" && value !== null) {
    const copied: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setOwn(copied, key, copy((value as Record<string, unknown>)[key]));
    return copied;
  }
  return value;
}

const isSpecial = (value: unknown) =>
  value instanceof RawJson || value instanceof DeepJson || value instanceof HugeArray;

/** Every place in a JSON value, the root first; found without recursion. */
function slots(root: unknown): Slot[] {
  const found: Slot[] = [{ parent: undefined, key: "", value: root }];
  for (let i = 0; i < found.length; i++) {
    const { value } = found[i]!;
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) found.push({ parent: value, key: index, value: item });
    } else if (typeof value === "object" && value !== null && !isSpecial(value)) {
      for (const [key, item] of Object.entries(value))
        found.push({ parent: value as Container, key, value: item });
    }
  }
  return found;
}

/** Applies mutations to a copy of a JSON sample. */
export function mutate(sample: unknown, mutations: readonly Mutation[]): Fuzzed {
  const box: Record<string, unknown> = { root: copy(sample) };
  for (const change of mutations) {
    const places = slots(box.root);
    const place = places[change.at % places.length]!;
    const parent = place.parent ?? box;
    const key = place.parent ? place.key : "root";
    const set = (value: unknown) => {
      if (Array.isArray(parent)) parent[key as number] = value;
      else setOwn(parent, String(key), value);
    };
    switch (change.op) {
      case "replace":
        set(copy(change.value));
        break;
      case "retype":
        // a hostile value of the field's own kind, so it gets past the type check and reaches the code behind
        set(
          typeof place.value === "number"
            ? change.number
            : typeof place.value === "string"
              ? change.text
              : null,
        );
        break;
      case "delete":
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (place.parent) delete parent[String(key)];
        else set(null);
        break;
      case "add":
        if (typeof place.value === "object" && place.value !== null && !Array.isArray(place.value))
          setOwn(place.value as Record<string, unknown>, change.key, copy(change.value));
        else if (Array.isArray(place.value)) place.value.push(copy(change.value));
        else {
          const wrapped: Record<string, unknown> = {};
          setOwn(wrapped, change.key, place.value);
          set(wrapped);
        }
        break;
      case "wrap":
        set([place.value]);
        break;
      case "text":
        set(typeof place.value === "string" ? Number(place.value) || null : jsonText(place.value as Fuzzed));
        break;
    }
  }
  return box.root as Fuzzed;
}

/** Bodies that are not JSON at all, or broken JSON, as bytes. */
export function brokenBodies(sample: string): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc
      .constantFrom(
        "",
        "{",
        "nul",
        '{"a":}',
        "[1,2",
        "\u0000",
        "\ufeff{}",
        `${sample}garbage`,
        sample.slice(0, Math.floor(sample.length / 2)),
        "email=a%40b.c&total=1",
        "--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--",
      )
      .map((text) => Buffer.from(text, "utf8")),
    fc.constant(Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])),
    fc.constant(Buffer.from(sample, "utf16le")),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  );
}

/** Content types a client might send, the right one most often; undefined sends none. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "text/plain",
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/vnd.api+json",
      "application/json; charset=latin1",
      undefined,
    ),
  },
);

/**
 * A body for an endpoint whose valid shape is `sample`: the sample itself, the sample changed in one to
 * three places, a hostile value instead of the whole body, or bytes that are not JSON.
 */
export function bodyFor(sample: unknown): fc.Arbitrary<{ kind: string; body: Buffer }> {
  const text = JSON.stringify(sample);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ kind: "valid", body: Buffer.from(text) }) },
    {
      weight: 8,
      arbitrary: fc
        .array(mutation, { minLength: 1, maxLength: 2 })
        .map((changes) => ({ kind: "mutated", body: Buffer.from(jsonText(mutate(sample, changes))) })),
    },
    {
      weight: 1,
      arbitrary: hostileValue.map((value) => ({ kind: "hostile", body: Buffer.from(jsonText(value)) })),
    },
    { weight: 2, arbitrary: brokenBodies(text).map((body) => ({ kind: "broken", body })) },
  );
}
