/** Where a signed-in staff member lands by default. */
export const HOME = "/console/inbox";

/**
 * The page to return to after signing in or switching language: `next` if it is a path of the console on this
 * site (never another origin, `//host`, a scheme or the login page itself), else the inbox.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || next.length > 2000 || !/^\/console(?:[/?#]|$)/.test(next)) return HOME;
  if (/[\\\s]/.test(next)) return HOME;
  const url = new URL(next, "http://console.invalid");
  if (url.origin !== "http://console.invalid" || url.pathname.startsWith("/console/login")) return HOME;
  if (url.pathname.startsWith("/console/logout")) return HOME;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The login page, bringing the staff member back to `next` afterwards. */
export function loginUrl(next?: unknown): string {
  const back = typeof next === "string" ? safeNext(toPath(next)) : HOME;
  return back === HOME ? "/console/login" : `/console/login?next=${encodeURIComponent(back)}`;
}

/** A same-site path from a path or an absolute URL (htmx's `HX-Current-URL`). */
function toPath(value: string): string {
  if (value.startsWith("/")) return value;
  try {
    const url = new URL(value);
    return `${url.pathname}${url.search}`;
  } catch {
    return "";
  }
}
