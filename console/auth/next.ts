/** Where a signed-in staff member lands by default. */
export const HOME = "/console/inbox";

/**
 * The page to return to after signing in or switching language: `next` if it is a path of the console on this
 * site (never another origin, `//host`, `/\host`, a scheme or the login page itself), else the inbox. The
 * check is made on the normalised path, after dot segments (also spelt `%2e`) are resolved: a path that only
 * looked like the console before (`/console/..//evil.example` → `//evil.example`) goes to the inbox.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || next.length > 2000 || !/^\/console(?:[/?#]|$)/.test(next)) return HOME;
  // browsers drop tabs and newlines from a URL and read a backslash as a slash: refuse them rather than guess
  if (/[\\\s\p{Cc}]/u.test(next)) return HOME;
  const url = new URL(next, "http://console.invalid");
  if (url.origin !== "http://console.invalid" || !url.pathname.startsWith("/console/")) return HOME;
  if (/^\/console\/(?:login|logout)(?:[/?#]|$)/.test(url.pathname)) return HOME;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return /^\/[/\\]/.test(path) ? HOME : path;
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
