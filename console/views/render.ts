import type { FastifyReply, FastifyRequest } from "fastify";
import { LOCALES } from "../../lib/channels.ts";
import type { StaffRole } from "../../lib/db/index.ts";
import { type ConsoleTextKey, t } from "../i18n.ts";
import { LOCALE_NAMES } from "../locale.ts";
import { isHtmx } from "../request.ts";
import { assetUrl } from "../static.ts";
import { type ConsoleViews, loadViews } from "./environment.ts";

/** Options of {@link render}. */
export interface RenderOptions {
  /** HTTP status. Defaults to 200. */
  status?: number;
  /** Text key of the page's title, shown before the brand in `<title>`. */
  title?: ConsoleTextKey;
  /** The CSRF token of the page's forms when nobody is signed in (the login page's). */
  csrf?: string;
  /** The view alone, without the layout: a piece of a page that a script fetches to swap in. */
  fragment?: boolean;
}

/** One entry of the header's navigation. */
interface NavItem {
  label: ConsoleTextKey;
  href: string;
  /** Keys to press one after the other (console.js): "g i". */
  shortcut: string;
  roles?: readonly StaffRole[];
  /** Text of the badge shown when `consoleView.navCounts[href]` is above 0 ("{count} paused"). */
  badge?: ConsoleTextKey;
}

/** The header's navigation; pages that do not exist yet answer 404 until they land. */
const NAV: readonly NavItem[] = [
  { label: "nav.inbox", href: "/console/inbox", shortcut: "g i" },
  { label: "listening.nav", href: "/console/listening", shortcut: "g l" },
  { label: "nav.customers", href: "/console/customers", shortcut: "g c" },
  { label: "nav.campaigns", href: "/console/campaigns", shortcut: "g m" },
  { label: "nav.dashboard", href: "/console/dashboard", shortcut: "g d" },
  { label: "nav.staff", href: "/console/staff", shortcut: "g s", roles: ["admin"] },
  { label: "segments.nav", href: "/console/segments", shortcut: "g g", roles: ["admin", "marketer"] },
  { label: "import.nav", href: "/console/import", shortcut: "g p", roles: ["admin", "marketer"] },
  { label: "failures.nav", href: "/console/failures", shortcut: "g f", roles: ["admin"] },
  { label: "tokens.nav", href: "/console/tokens", shortcut: "g t", roles: ["admin"] },
  { label: "audit.nav", href: "/console/audit", shortcut: "g a", roles: ["admin"] },
  {
    label: "webhooks.nav",
    href: "/console/webhooks",
    shortcut: "g w",
    roles: ["admin"],
    badge: "webhooks.navPaused",
  },
];

let views: ConsoleViews | undefined;

/** The console's views, compiled on first use. */
export function consoleViews(): ConsoleViews {
  views ??= loadViews();
  return views;
}

/**
 * Renders `console/views/<view>.hbs` with `data` inside the layout (header, navigation, language switcher)
 * and sends it. An htmx request (`HX-Request`, not boosted) gets the view alone, to swap into the page.
 * Everything is escaped unless the view uses `{{{…}}}`. Use it as `return render(reply, "inbox", { … })`.
 */
export function render(
  reply: FastifyReply,
  view: string,
  data: object = {},
  options: RenderOptions = {},
): FastifyReply {
  const request = reply.request;
  const { locale, timezone, brandName, clock } = request.consoleView;
  const staff = request.staff;
  const helperData = {
    locale,
    timezone,
    now: clock.now(),
    csrf: options.csrf ?? staff?.csrfToken ?? "",
    brand: brandName,
  };
  const body = consoleViews().render(view, data, helperData);
  const fragment = options.fragment || (isHtmx(request) && request.headers["hx-boosted"] !== "true");
  const html = fragment
    ? body
    : consoleViews().render(
        "layout",
        {
          body,
          page: {
            title: options.title ? t(locale, options.title) : undefined,
            brand: brandName,
            path: request.url,
            csrf: helperData.csrf,
            assets: {
              css: assetUrl("console.css"),
              js: assetUrl("console.js"),
              icon: assetUrl("favicon.svg"),
            },
            staff: staff && { ...staff, displayName: staff.name || staff.email },
            nav: staff ? navFor(request, staff.role) : [],
            locales: LOCALES.map((code) => ({ code, name: LOCALE_NAMES[code], current: code === locale })),
          },
        },
        helperData,
      );
  return reply
    .status(options.status ?? 200)
    .header("content-type", "text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(html);
}

function navFor(request: FastifyRequest, role: StaffRole) {
  const path = request.url.split("?")[0] ?? "";
  const { locale, navCounts } = request.consoleView;
  return NAV.filter((item) => !item.roles || item.roles.includes(role)).map((item) => {
    const count = navCounts?.[item.href] ?? 0;
    return {
      ...item,
      current: path === item.href || path.startsWith(`${item.href}/`),
      badge: item.badge && count > 0 ? { count, label: t(locale, item.badge, { count }) } : undefined,
    };
  });
}
