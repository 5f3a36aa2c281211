const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value looks like a row id (a UUID, any case): anything else names no customer. */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}
