import { CHANNEL_NAMES, LOCALES, type Locale } from "../../lib/channels.ts";
import { bestName } from "../customers/name.ts";
import type { ConsoleDeps } from "../deps.ts";
import { assignableStaff } from "../inbox/actions.ts";
import { filterQueryString, INBOX_STATUSES, type InboxQuery } from "../inbox/filters.ts";
import { labelsInUse } from "../inbox/labels.ts";
import { HIT_END, HIT_START, type InboxRow, listConversations } from "../inbox/list.ts";
import { LOCALE_NAMES } from "../locale.ts";

/** Characters of the latest message shown under each conversation. */
const PREVIEW_LENGTH = 120;

/** A row of the list as the `inbox-row` partial shows it. */
export function rowModel(row: InboxRow, filters: string, now: Date, locale: Locale, currentId?: string) {
  const text = (row.lastText ?? "").replace(/\s+/g, " ").trim();
  const name = bestName(row, locale);
  const named = Boolean(row.name?.trim() || row.displayName?.trim() || row.email?.trim());
  return {
    ...row,
    shownName: name,
    // the handle beside a name; alone, it is the name
    handle: named ? row.handle : null,
    href: `/console/conversations/${row.id}${filters ? `?${filters}` : ""}`,
    current: row.id === currentId,
    initial: [...name.replace(/^@/, "")][0]?.toUpperCase() ?? "?",
    preview: text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text,
    outbound: row.lastAuthor === "staff" || row.lastAuthor === "bot",
    snippet: row.snippet === null ? undefined : snippetParts(row.snippet),
    snoozed: row.snoozedUntil !== null && row.snoozedUntil > now,
  };
}

/** A search snippet as pieces of text, the matched ones marked (`<mark>` in the row). */
function snippetParts(snippet: string): Array<{ text: string; hit: boolean }> {
  const [before = "", ...hits] = snippet.replace(/\s+/g, " ").trim().split(HIT_START);
  const parts = [{ text: before, hit: false }];
  for (const piece of hits) {
    const end = piece.indexOf(HIT_END);
    parts.push({ text: piece.slice(0, end < 0 ? undefined : end), hit: true });
    if (end >= 0) parts.push({ text: piece.slice(end + 1), hit: false });
  }
  return parts.filter((part) => part.text !== "");
}

/**
 * The inbox list with its filter form and pager (the `inbox-list` partial): on the inbox page, and at the
 * left of a conversation on a wide screen.
 */
export async function inboxListModel(
  deps: ConsoleDeps,
  staffUserId: string,
  query: InboxQuery,
  options: { action: string; locale: Locale; currentId?: string },
) {
  const now = new Date(deps.clock.now());
  const [page, staff, labels] = await Promise.all([
    listConversations(deps.db, query, { staffUserId, now }),
    assignableStaff(deps.db),
    labelsInUse(deps.db),
  ]);
  const filters = filterQueryString(query);
  const named = query.assignee !== "mine" && query.assignee !== "unassigned" ? query.assignee : undefined;
  return {
    action: options.action,
    query: filters,
    filtered: filters !== "",
    after: query.after,
    next: page.next,
    pager: Boolean(page.next || query.after),
    rows: page.rows.map((row) => rowModel(row, filters, now, options.locale, options.currentId)),
    statusOptions: INBOX_STATUSES.map((value) => ({ value, selected: value === query.status })),
    channelOptions: CHANNEL_NAMES.map((value) => ({ value, selected: value === query.channel })),
    staffOptions: staff.map((s) => ({ ...s, selected: s.id === named })),
    localeOptions: LOCALES.map((code) => ({
      code,
      name: LOCALE_NAMES[code],
      selected: code === query.locale,
    })),
    // a label no conversation carries any more stays offered while it is the filter
    labelOptions: [...new Set([...labels, ...(query.label ? [query.label] : [])])]
      .sort()
      .map((value) => ({ value, selected: value === query.label })),
    q: query.q ?? "",
    searching: Boolean(query.q),
    mine: query.assignee === "mine",
    unassigned: query.assignee === "unassigned",
  };
}
