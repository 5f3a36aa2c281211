// The campaign page's send: reads /console/campaigns/:id/progress/events (`event: progress`, the counts and
// the section's HTML rendered by the server) and swaps the section's content, so the counts, the bars and the
// send-rate chart move while the page is open. Without scripts, the page shows the figures of when it loaded.
(() => {
  const section = document.querySelector("[data-send-live]");
  if (!section || typeof EventSource !== "function") return;
  const source = new EventSource(section.dataset.sendLive);
  source.addEventListener("progress", (message) => {
    let progress;
    try {
      progress = JSON.parse(message.data);
    } catch {
      return;
    }
    if (typeof progress.html === "string") section.innerHTML = progress.html;
  });
  window.addEventListener("pagehide", () => source.close());
})();
