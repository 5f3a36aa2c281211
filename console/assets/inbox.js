/* Rapport staff console: the inbox and conversation pages (loaded after console.js, deferred).
 *
 * 1. Live updates: RapportConsole.live() hears /console/events; a changed conversation's list row and a new or
 *    changed message are fetched as HTML fragments and swapped in, nothing else is re-rendered.
 * 2. Replies and notes are sent with fetch (the form still works without this script).
 * 3. Collision warning: who else is viewing or typing here, and whether someone replied since this page opened;
 *    a reply the server refuses for it (409) keeps its text and offers "Send anyway".
 * 4. Keyboard shortcuts: j/k, Enter, r, c, e, ] and /.
 * 5. Canned responses are filled in by the server and inserted at the cursor: from the list, or by typing / in
 *    the reply box (a listbox of the matching ones: arrows, Enter or Tab, Esc, or the mouse).
 */
(() => {
  const rapport = window.RapportConsole;
  if (!rapport) return;
  const page = document.querySelector("[data-workspace]") || document.querySelector("[data-inbox-page]");
  const workspace = document.querySelector("[data-workspace]");
  const list = document.querySelector("[data-inbox-list]");
  const labels = document.querySelector("[data-shortcut-labels]")?.dataset ?? {};
  const conversationId = workspace?.dataset.conversation;
  const me = page?.dataset.me;
  const canReply = page?.dataset.canReply === "true";
  const FRAGMENT = { headers: { accept: "*/*" } };

  const element = (html) => {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  };
  const post = (url, fields) =>
    fetch(url, {
      method: "POST",
      body: new URLSearchParams(fields),
      headers: { accept: "application/json" },
    });

  // Forms that ask first (close, delete).
  document.addEventListener(
    "submit",
    (event) => {
      const message = event.target instanceof HTMLFormElement ? event.target.dataset.confirm : undefined;
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  // The snooze form's date and time matter only for "until the date and time given".
  const showSnoozeTime = () => {
    const choice = document.getElementById("snooze-choice");
    const at = document.getElementById("snooze-at");
    if (choice && at) at.hidden = choice.value !== "custom";
  };
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLElement && event.target.id === "snooze-choice") showSnoozeTime();
  });
  showSnoozeTime();

  // Filters apply as soon as one changes.
  const filters = document.querySelector("[data-inbox-filters]");
  filters?.addEventListener("change", () => filters.requestSubmit());

  // 1. Live updates of the list: fetch the row, put it where its last message time belongs.
  const emptyNote = document.querySelector("[data-inbox-empty]");
  const rowTimers = new Map();
  const placeRow = (row) => {
    const at = row.querySelector("time")?.getAttribute("datetime") ?? "";
    const after = [...list.children].find((other) => {
      const otherAt = other.querySelector("time")?.getAttribute("datetime") ?? "";
      return otherAt < at || (otherAt === at && other.dataset.conversationId < row.dataset.conversationId);
    });
    list.insertBefore(row, after ?? null);
  };
  const refreshRow = (id) => {
    if (!list) return;
    clearTimeout(rowTimers.get(id));
    rowTimers.set(
      id,
      setTimeout(async () => {
        rowTimers.delete(id);
        const query = list.dataset.query;
        const response = await fetch(`/console/inbox/rows/${id}${query ? `?${query}` : ""}`, FRAGMENT);
        const existing = document.getElementById(`conv-${id}`);
        if (response.status === 204) existing?.remove();
        else if (response.ok) {
          const row = element(await response.text());
          if (!row) return;
          if (id === conversationId) row.querySelector("a")?.setAttribute("aria-current", "page");
          const hadFocus = existing?.contains(document.activeElement);
          const wasSelected = existing?.querySelector("a")?.classList.contains("is-selected");
          existing?.remove();
          if (existing || list.dataset.live === "true") placeRow(row);
          if (wasSelected) row.querySelector("a")?.classList.add("is-selected");
          if (hadFocus) row.querySelector("a")?.focus();
        }
        if (emptyNote) emptyNote.hidden = list.children.length > 0;
      }, 100),
    );
  };

  // 1. Live updates of the conversation: fetch the message, replace it or add it at the end. The reply form
  // tells the server which messages were added this way (`shown`): with the ones the page was rendered with
  // (`seen`), that is everything its reader has in front of them, so a reply is refused only for what they
  // have not seen (the server keeps the latest 200).
  const thread = document.querySelector("[data-thread]");
  const shownField = document.querySelector("[data-shown]");
  const shown = new Set();
  const markShown = (ref) => {
    if (!shownField) return;
    shown.delete(ref);
    shown.add(ref);
    if (shown.size > 200) shown.delete(shown.values().next().value);
    shownField.value = [...shown].join(" ");
  };
  const refreshItem = async (ref) => {
    if (!thread || !ref) return;
    const response = await fetch(`/console/conversations/${conversationId}/items/${ref}`, FRAGMENT);
    if (!response.ok) return;
    const item = element(await response.text());
    if (!item) return;
    markShown(ref);
    const existing = document.getElementById(ref);
    if (existing) existing.replaceWith(item);
    // a page of earlier messages does not grow at its end; "Back to the latest" shows the new ones
    else if (thread.hasAttribute("data-paged")) return;
    else {
      const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
      thread.append(item);
      if (atBottom) item.scrollIntoView({ block: "nearest" });
    }
  };
  const toolbar = document.querySelector("[data-toolbar]");
  const refreshToolbar = async () => {
    if (!toolbar) return;
    // with the page's inbox filters: the toolbar's forms carry them
    const response = await fetch(
      `/console/conversations/${conversationId}/toolbar${location.search}`,
      FRAGMENT,
    );
    if (!response.ok) return;
    toolbar.innerHTML = await response.text();
    showSnoozeTime();
  };

  // 3. Collision warning.
  const warning = document.querySelector("[data-collision]");
  const others = new Map(); // staffUserId -> { name, viewingUntil, typingUntil }
  const replied = new Set();
  const fill = (template, name) => (template ?? "").replace("{name}", name);
  const showWarning = () => {
    if (!warning || !workspace) return;
    const now = Date.now();
    const lines = [];
    for (const [id, other] of others) {
      if (other.typingUntil > now) lines.push(fill(workspace.dataset.collisionTyping, other.name));
      else if (other.viewingUntil > now) lines.push(fill(workspace.dataset.collisionViewing, other.name));
      else others.delete(id);
    }
    for (const name of replied) lines.push(fill(workspace.dataset.collisionReplied, name));
    warning.replaceChildren(
      ...lines.map((line) => {
        const p = document.createElement("p");
        p.textContent = line;
        return p;
      }),
    );
    warning.hidden = lines.length === 0;
  };
  setInterval(showWarning, 2000);

  let lastViewingPing = 0;
  const ping = (state) => {
    if (!conversationId || !canReply) return;
    if (state === "viewing") lastViewingPing = Date.now();
    post(`/console/conversations/${conversationId}/presence`, { state }).catch(() => {});
  };
  if (conversationId && canReply) {
    setInterval(() => document.visibilityState === "visible" && ping("viewing"), 20_000);
    window.addEventListener("pagehide", () => {
      const body = new URLSearchParams({ state: "left", _csrf: rapport.csrfToken });
      navigator.sendBeacon?.(`/console/conversations/${conversationId}/presence`, body);
    });
  }

  if (page)
    rapport.live?.(
      (event) => {
        if (event.kind === "message" || event.kind === "status" || event.kind === "delivery")
          refreshRow(event.conversationId);
        if (!conversationId || event.conversationId !== conversationId) return;
        const fromOther = event.staffUserId && event.staffUserId !== me;
        switch (event.kind) {
          case "message":
          case "delivery":
            refreshItem(
              event.deliveryId ? `d-${event.deliveryId}` : event.interactionId && `i-${event.interactionId}`,
            );
            // a staff reply takes an unassigned conversation and sets the first reply time
            if (event.kind === "message" && event.deliveryId) refreshToolbar();
            if (event.kind === "message" && event.deliveryId && fromOther) {
              replied.add(event.staffName || "?");
              showWarning();
            }
            break;
          case "status":
            if (event.status !== "read") refreshToolbar();
            break;
          case "typing":
          case "presence": {
            if (!fromOther) break;
            if (event.state === "left") others.delete(event.staffUserId);
            else {
              const other = others.get(event.staffUserId) ?? {
                name: event.staffName || "?",
                viewingUntil: 0,
                typingUntil: 0,
              };
              const isNew = other.viewingUntil < Date.now();
              other.viewingUntil = Date.now() + 45_000;
              if (event.kind === "typing") other.typingUntil = Date.now() + 6_000;
              others.set(event.staffUserId, other);
              // answer a newcomer at once, so both see each other
              if (isNew && Date.now() - lastViewingPing > 1_000) ping("viewing");
            }
            showWarning();
          }
        }
      },
      () => ping("viewing"),
    ); // say hello once the others can answer: they ping back when they see a newcomer

  // 2. Replies and notes with fetch; a failure shows the server's words and keeps the text.
  const replyForm = document.querySelector("[data-reply-form]");
  const replyText = document.querySelector("[data-reply-text]");
  const formId = document.querySelector("[data-form-id]");
  const showError = (form, message) => {
    let alert = form.querySelector("[data-form-error]");
    if (!alert) {
      alert = document.createElement("p");
      alert.className = "alert";
      alert.setAttribute("role", "alert");
      alert.dataset.formError = "";
      form.prepend(alert);
    }
    alert.textContent = message;
  };
  const failure = async (response) => {
    try {
      return (await response.json()).message || String(response.status);
    } catch {
      return String(response.status);
    }
  };
  // A reply refused because someone replied or the customer wrote meanwhile (409): say so, show what they
  // wrote, keep the text, and offer "Send anyway".
  const refusedAlert = document.querySelector("[data-reply-refused]");
  const sendAnyway = document.querySelector("[data-send-anyway]");
  const showRefused = async (result) => {
    if (refusedAlert) {
      const line = document.createElement("p");
      line.textContent = result.message;
      refusedAlert.replaceChildren(line);
      refusedAlert.hidden = false;
    }
    if (sendAnyway) sendAnyway.hidden = false;
    for (const ref of result.refs ?? []) await refreshItem(ref);
  };
  const clearRefused = () => {
    if (refusedAlert) refusedAlert.hidden = true;
    if (sendAnyway) sendAnyway.hidden = true;
  };
  const COLLISIONS = ["replied_meanwhile", "customer_wrote"];
  replyForm?.addEventListener("submit", async (event) => {
    if (event.defaultPrevented) return;
    event.preventDefault();
    // a button's formAction is the page's URL when it has no formaction attribute
    const action = event.submitter?.hasAttribute("formaction")
      ? event.submitter.formAction
      : replyForm.action;
    const fields = new FormData(replyForm);
    if (event.submitter?.name) fields.set(event.submitter.name, event.submitter.value);
    const buttons = replyForm.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      const response = await post(action, fields);
      if (response.status === 409) {
        const result = await response.json().catch(() => ({}));
        if (COLLISIONS.includes(result.error)) {
          replyForm.querySelector("[data-form-error]")?.remove();
          return await showRefused(result);
        }
        return showError(replyForm, result.message || "409");
      }
      if (!response.ok) return showError(replyForm, await failure(response));
      const result = await response.json();
      replyText.value = "";
      if (result.formId) formId.value = result.formId;
      replyForm.querySelector("[data-form-error]")?.remove();
      clearRefused();
      await refreshItem(result.ref);
    } catch {
      replyForm.submit();
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
  let lastTyping = 0;
  replyText?.addEventListener("input", () => {
    if (Date.now() - lastTyping < 3_000) return;
    lastTyping = Date.now();
    ping("typing");
  });

  // A failed message sent again without leaving the page.
  thread?.addEventListener("submit", async (event) => {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !("retryForm" in form.dataset))
      return;
    event.preventDefault();
    const response = await post(form.action, new FormData(form));
    if (!response.ok) return showError(form, await failure(response));
    await refreshItem((await response.json()).ref);
  });

  // 5. Canned responses, filled by the server, inserted where the cursor is: picked from the list above the
  // reply box, or by typing / in it (a list of the responses whose shortcut or title has what follows).
  const cannedForm = document.querySelector("[data-canned-form]");
  const cannedSelect = document.querySelector("[data-canned-select]");
  const insertCanned = async (cannedId, start, end) => {
    const response = await fetch(`/console/conversations/${conversationId}/canned/${cannedId}`, {
      headers: { accept: "application/json" },
    });
    if (!response.ok) return;
    const { text, message } = await response.json();
    // a placeholder empty for this customer stays in the text: say which, the server will not send it
    if (message && replyForm) showError(replyForm, message);
    replyText.setRangeText(text, start, end, "end");
    replyText.focus();
    replyText.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const insertPicked = async () => {
    if (!cannedSelect?.value || !replyText) return;
    const start = replyText.selectionStart ?? replyText.value.length;
    await insertCanned(cannedSelect.value, start, replyText.selectionEnd ?? start);
    cannedSelect.value = "";
  };
  cannedSelect?.addEventListener("change", insertPicked);
  cannedForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    insertPicked();
  });

  const suggestions = document.querySelector("[data-canned-options]");
  const suggestionCount = document.querySelector("[data-canned-count]");
  const options = [...(suggestions?.querySelectorAll("[role=option]") ?? [])];
  let slash; // { start, end, query } of the "/word" being typed, while the list shows
  let dismissed = -1; // Esc closes the list until another / is typed
  const shownOptions = () => options.filter((option) => !option.hidden);
  const activeOption = () => options.find((option) => option.getAttribute("aria-selected") === "true");
  const activate = (option) => {
    for (const other of options) other.setAttribute("aria-selected", String(other === option));
    if (option) {
      replyText.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else replyText.removeAttribute("aria-activedescendant");
  };
  const closeSuggestions = () => {
    if (!suggestions) return;
    slash = undefined;
    suggestions.hidden = true;
    activate(undefined);
    if (suggestionCount) suggestionCount.textContent = "";
  };
  const suggest = () => {
    if (!suggestions || !replyText) return;
    const caret = replyText.selectionStart;
    const match =
      caret === replyText.selectionEnd ? /(?:^|\s)\/([^\s/]*)$/.exec(replyText.value.slice(0, caret)) : null;
    const start = match ? caret - match[1].length - 1 : -1;
    if (!match) dismissed = -1;
    if (!match || start === dismissed) return closeSuggestions();
    const query = match[1].toLowerCase();
    // the shortcut, or a word of the title, starts with what follows the /
    for (const option of options) {
      const words = [option.dataset.key, ...option.dataset.title.toLowerCase().split(/\s+/)];
      option.hidden = !words.some((word) => word.startsWith(query));
    }
    const shown = shownOptions();
    if (shown.length === 0) return closeSuggestions();
    const changed = slash?.query !== query;
    slash = { start, end: caret, query };
    suggestions.hidden = false;
    if (changed || !activeOption() || activeOption().hidden) activate(shown[0]);
    if (changed && suggestionCount)
      suggestionCount.textContent = (suggestionCount.dataset.cannedCount ?? "").replace(
        "{count}",
        shown.length,
      );
  };
  const pick = async (option) => {
    if (!slash || !option) return;
    const { start, end } = slash;
    closeSuggestions();
    await insertCanned(option.dataset.cannedId, start, end);
  };
  if (suggestions && replyText) {
    replyText.addEventListener("input", suggest);
    replyText.addEventListener("click", suggest);
    replyText.addEventListener("blur", () => setTimeout(closeSuggestions, 150));
    replyText.addEventListener("keydown", (event) => {
      if (!slash || event.ctrlKey || event.metaKey || event.altKey) return;
      const shown = shownOptions();
      const at = shown.indexOf(activeOption());
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const step = event.key === "ArrowDown" ? 1 : -1;
        activate(shown[(at + step + shown.length) % shown.length]);
      } else if (event.key === "Enter" || event.key === "Tab") pick(activeOption());
      else if (event.key === "Escape") {
        dismissed = slash.start;
        closeSuggestions();
      } else return;
      event.preventDefault();
      event.stopPropagation();
    });
    // a press on an option keeps the focus in the reply box
    suggestions.addEventListener("mousedown", (event) => event.preventDefault());
    suggestions.addEventListener("click", (event) => {
      const option = event.target instanceof Element ? event.target.closest("[role=option]") : null;
      if (option) pick(option);
    });
  }

  // 4. Keyboard shortcuts.
  const links = () => [...(list?.querySelectorAll(".inbox-row > a") ?? [])];
  const selectedLink = () => links().find((a) => a.classList.contains("is-selected"));
  const move = (step) => {
    const all = links();
    if (all.length === 0) return;
    const current = all.indexOf(selectedLink() ?? document.activeElement);
    const here = current >= 0 ? current : all.findIndex((a) => a.getAttribute("aria-current") === "page");
    const next = all[Math.min(all.length - 1, Math.max(0, here < 0 ? 0 : here + step))];
    if (!next) return;
    if (workspace && !list.offsetParent) {
      // on a phone the list is hidden: go straight to the next conversation
      if (next.getAttribute("aria-current") !== "page") window.location.assign(next.href);
      return;
    }
    for (const a of all) a.classList.toggle("is-selected", a === next);
    next.focus();
  };
  const selectedId = () =>
    conversationId ?? selectedLink()?.closest("[data-conversation-id]")?.dataset.conversationId;
  const act = async (path, fields, question) => {
    const id = selectedId();
    if (!id || !canReply) return;
    if (question && !window.confirm(question)) return;
    const response = await post(`/console/conversations/${id}/${path}`, fields);
    if (response.ok && conversationId) refreshToolbar();
  };

  rapport.shortcut("j", labels.next || "j", () => move(1));
  rapport.shortcut("k", labels.previous || "k", () => move(-1));
  rapport.shortcut("Enter", labels.open || "Enter", () => selectedLink()?.click());
  if (canReply) {
    if (replyText) rapport.shortcut("r", labels.reply || "r", () => replyText.focus());
    rapport.shortcut("c", labels.close || "c", () => act("close", {}, labels.confirmClose));
    rapport.shortcut("e", labels.assign || "e", () => act("assign", { assignee: "me" }));
    // the toolbar's button (its form asks first, and carries the list's filters); the toolbar is replaced live
    if (conversationId)
      rapport.shortcut("]", labels.resolveNext || "]", () =>
        document.querySelector("[data-resolve-next-button]")?.click(),
      );
  }
  const firstFilter = document.querySelector("[data-filter-first]");
  if (firstFilter) rapport.shortcut("/", labels.filter || "/", () => firstFilter.focus());

  // Enter is not a one-character key, so console.js leaves it alone: open the selected row here, unless
  // focus is somewhere Enter already means something.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey)
      return;
    const target = event.target;
    if (
      target instanceof HTMLElement &&
      target.closest("a, button, input, select, textarea, [contenteditable]")
    )
      return;
    const link = selectedLink();
    if (!link) return;
    event.preventDefault();
    link.click();
  });
})();
