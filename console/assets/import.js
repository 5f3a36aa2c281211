// The import's progress page: reads /console/import/:id/events (progress, then done) into the progress bar,
// and reloads the page when the import ends, so the server renders the summary. Without scripts, the page
// refreshes itself every few seconds (<noscript> meta refresh).
(() => {
  const live = document.querySelector("[data-import-live]");
  if (!live || typeof EventSource !== "function") return;
  const bar = live.querySelector("[data-import-bar]");
  const rows = live.querySelector("[data-import-rows]");
  const format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  const template = live.dataset.rowsText || "";
  const source = new EventSource(live.dataset.importLive);
  source.addEventListener("progress", (message) => {
    let progress;
    try {
      progress = JSON.parse(message.data);
    } catch {
      return;
    }
    if (progress.state !== "running") return;
    if (bar) bar.value = progress.percent;
    if (rows)
      rows.textContent = `${template.replace("{rows}", format.format(progress.rows))} · ${progress.percent} %`;
  });
  source.addEventListener("done", () => {
    source.close();
    window.location.reload();
  });
})();
