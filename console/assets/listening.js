/* Rapport staff console: the listening desk (loaded after console.js, deferred).
 *
 * 1. Filters apply as soon as one changes.
 * 2. Live updates: RapportConsole.live() hears /console/events; a `listening` event's hit is fetched as an HTML
 *    fragment (/console/listening/rows/<id>, with the page's filters) and put in its place by time, or removed
 *    when it no longer matches (204). A row whose reply box has text is left alone until it is sent.
 */
(() => {
  const rapport = window.RapportConsole;
  const list = document.querySelector("[data-listening-list]");
  const filters = document.querySelector("[data-listening-filters]");
  filters?.addEventListener("change", () => filters.requestSubmit());
  if (!rapport || !list) return;
  const emptyNote = document.querySelector("[data-listening-empty]");

  const element = (html) => {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  };
  const timeOf = (row) => row.querySelector("time")?.getAttribute("datetime") ?? "";
  const place = (row) => {
    const at = timeOf(row);
    const after = [...list.children].find((other) => {
      const otherAt = timeOf(other);
      return otherAt < at || (otherAt === at && other.dataset.hitId < row.dataset.hitId);
    });
    list.insertBefore(row, after ?? null);
  };
  const busy = (row) => {
    const box = row?.querySelector("textarea");
    return Boolean(box && (box.value.trim() !== "" || row.contains(document.activeElement)));
  };
  const pending = new Map();

  const refresh = async (id) => {
    const query = list.dataset.query;
    const response = await fetch(`/console/listening/rows/${id}${query ? `?${query}` : ""}`, {
      headers: { accept: "*/*" },
    });
    const existing = document.getElementById(`hit-${id}`);
    if (busy(existing)) {
      // staff are writing here: show the new status only, keep their draft
      if (response.ok && response.status !== 204) {
        const row = element(await response.text());
        const status = row?.querySelector("[data-hit-status]");
        if (status) existing.querySelector("[data-hit-status]")?.replaceWith(status);
        if (row) existing.dataset.status = row.dataset.status;
      }
      return;
    }
    if (response.status === 204) existing?.remove();
    else if (response.ok) {
      const row = element(await response.text());
      if (!row) return;
      existing?.remove();
      if (existing || list.dataset.live === "true") place(row);
    }
    if (emptyNote) emptyNote.hidden = list.children.length > 0;
  };

  rapport.live((event) => {
    if (event.kind !== "listening" || !event.interactionId) return;
    const id = event.interactionId;
    clearTimeout(pending.get(id));
    pending.set(
      id,
      setTimeout(() => {
        pending.delete(id);
        refresh(id).catch(() => {});
      }, 100),
    );
  });
})();
