import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/** scrypt cost parameters: N = 2^15, r = 8, p = 1 (OWASP's minimum for scrypt), a 32-byte key. */
const COST = { N: 32_768, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Largest N a stored hash may ask for, so an edited row cannot make a login allocate gigabytes. */
const MAX_N = 1 << 20;

/**
 * Memory scrypt needs for these parameters: 128·r·(N + p + 2) bytes. At N = 2^15 and r = 8 that is just over
 * Node's default `maxmem` of 32 MiB, which would refuse it, so twice the theoretical need is allowed.
 */
function maxmemFor(N: number, r: number, p: number): number {
  return 2 * 128 * r * (N + p + 2);
}

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }, bytes: number) {
  const options: ScryptOptions = { ...cost, maxmem: maxmemFor(cost.N, cost.r, cost.p) };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, bytes, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/**
 * Hashes a password with scrypt and a random 16-byte salt, as `scrypt$32768$8$1$<salt b64>$<hash b64>`: the
 * parameters travel with the hash, so they can be raised later without breaking stored ones. About 100 ms.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST, KEY_BYTES);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64"), key.toString("base64")].join("$");
}

/** Checks a password against a {@link hashPassword} string in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.cost, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as {@link verifyPassword} and returns false: called when the account does not exist
 * (or is disabled), so a login's duration does not reveal which addresses have accounts.
 */
export async function dummyVerify(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString("base64"));
  await verifyPassword(password, await dummy);
  return false;
}

function parseHash(stored: string) {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split("$");
  if (scheme !== "scrypt" || rest.length || !salt || !key) return undefined;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const valid =
    Number.isInteger(cost.N) &&
    cost.N > 1 &&
    cost.N <= MAX_N &&
    (cost.N & (cost.N - 1)) === 0 &&
    Number.isInteger(cost.r) &&
    cost.r >= 1 &&
    cost.r <= 32 &&
    Number.isInteger(cost.p) &&
    cost.p >= 1 &&
    cost.p <= 16;
  const keyBytes = Buffer.from(key, "base64");
  if (!valid || keyBytes.length < 16) return undefined;
  return { cost, salt: Buffer.from(salt, "base64"), key: keyBytes };
}
