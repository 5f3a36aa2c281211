/* Rapport staff console: the little script every page loads (deferred). No framework, no build step.
 *
 * 1. CSRF: fetch() and htmx requests that can change something carry the session's token from
 *    <meta name="csrf-token"> in the x-csrf-token header (forms carry it as the _csrf field).
 * 2. Time zone: remembers the browser's zone in the rapport_tz cookie, so the server shows dates in it.
 * 3. Keyboard shortcuts: sequences like "g i" (press g, then i). Any element with
 *    data-shortcut="g i" is clicked (links followed, buttons pressed); pages add more with
 *    RapportConsole.shortcut("j", "Next conversation", fn). "?" lists them all. Keys typed into
 *    form fields are never taken.
 * 4. Live updates: RapportConsole.live(fn, onOpen) calls fn with each event of /console/events (Server-Sent
 *    Events), and onOpen whenever the stream (re)connects.
 * 5. Screen pop: a phone call's pop-over (who is calling, what they bought) on every signed-in page.
 * 6. The navigation, scrolled on a phone to show the current page's link.
 */
(() => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = meta ? meta.getAttribute("content") : "";
  const SAFE = /^(GET|HEAD|OPTIONS)$/i;

  // 1. CSRF header for same-origin requests that change something.
  const nativeFetch = window.fetch.bind(window);
  window.fetch = (input, init = {}) => {
    const method = (init.method || (input instanceof Request ? input.method : "GET")).toUpperCase();
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (csrfToken && !SAFE.test(method) && url.origin === location.origin) {
      const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
      headers.set("x-csrf-token", csrfToken);
      init = { ...init, headers };
    }
    return nativeFetch(input, init);
  };
  document.addEventListener("htmx:configRequest", (event) => {
    if (csrfToken && !SAFE.test(event.detail.verb)) event.detail.headers["x-csrf-token"] = csrfToken;
  });

  // 2. The browser's time zone, for the server's date formatting.
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const current = document.cookie.match(/(?:^|; )rapport_tz=([^;]*)/);
    if (zone && (!current || decodeURIComponent(current[1]) !== zone)) {
      // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser staff use
      document.cookie = `rapport_tz=${encodeURIComponent(zone)}; path=/console; max-age=31536000; samesite=lax`;
    }
  } catch {
    // no Intl time zone: the server's default is used
  }

  // 3. Keyboard shortcuts.
  const shortcuts = new Map(); // "g i" -> { label, run }
  let pending = "";
  let pendingTimer = 0;

  /** Registers a shortcut: keys separated by spaces ("g i", "?", "j"), a label for the help, a function. */
  const shortcut = (keys, label, run) => {
    shortcuts.set(keys, { label, run });
  };

  const typing = (target) =>
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target))
      return;
    if (event.key.length !== 1) return;
    const sequence = pending ? `${pending} ${event.key}` : event.key;
    const match = shortcuts.get(sequence);
    clearTimeout(pendingTimer);
    if (match) {
      pending = "";
      event.preventDefault();
      match.run();
      return;
    }
    const isPrefix = [...shortcuts.keys()].some((keys) => keys.startsWith(`${sequence} `));
    pending = isPrefix ? sequence : "";
    if (isPrefix) pendingTimer = setTimeout(() => (pending = ""), 1500);
  });

  for (const element of document.querySelectorAll("[data-shortcut]")) {
    shortcut(element.dataset.shortcut, element.textContent.trim(), () => {
      element.focus();
      element.click();
    });
  }

  const help = document.getElementById("shortcuts");
  if (help && typeof help.showModal === "function") {
    shortcut("?", help.dataset.showLabel || "?", () => {
      const list = help.querySelector("[data-shortcut-list]");
      list.replaceChildren(
        ...[...shortcuts].flatMap(([keys, { label }]) => {
          const term = document.createElement("dt");
          for (const key of keys.split(" ")) {
            const kbd = document.createElement("kbd");
            kbd.textContent = key;
            term.append(kbd, " ");
          }
          const description = document.createElement("dd");
          description.textContent = label;
          return [term, description];
        }),
      );
      help.showModal();
    });
  }

  // 4. Live updates: one EventSource per page on /console/events, opened by the first page script that
  //    listens (RapportConsole.live(fn, onOpen)); the browser reconnects by itself after a network drop, and
  //    onOpen runs at every (re)connection, when events can be heard again.
  const liveListeners = new Set();
  const liveOpeners = new Set();
  let liveSource;
  const live = (listener, onOpen) => {
    liveListeners.add(listener);
    if (onOpen) liveOpeners.add(onOpen);
    if (!liveSource && typeof EventSource === "function") {
      liveSource = new EventSource("/console/events");
      liveSource.addEventListener("open", () => {
        for (const opened of liveOpeners) opened();
      });
      liveSource.addEventListener("live", (message) => {
        let event;
        try {
          event = JSON.parse(message.data);
        } catch {
          return;
        }
        for (const each of liveListeners) each(event);
      });
    } else if (onOpen && liveSource?.readyState === EventSource.OPEN) onOpen();
    return () => {
      liveListeners.delete(listener);
      liveOpeners.delete(onOpen);
    };
  };

  // 5. Screen pop: a phone call for this staff member (or for every agent) shows the caller's pop-over in the
  //    corner of any console page, fetched as HTML (/console/calls/<id>/pop); later events of the same call
  //    (answered, ended with its duration) refresh it. Only signed-in pages (with the top bar) listen.
  if (document.querySelector(".topbar")) {
    const pops = document.createElement("div");
    pops.className = "call-pops";
    pops.setAttribute("aria-live", "polite");
    pops.addEventListener("click", (event) => {
      const close = event.target instanceof Element && event.target.closest("[data-call-pop-close]");
      if (close) close.closest("[data-call-pop]")?.remove();
    });
    const showPop = async (event) => {
      const response = await nativeFetch(`/console/calls/${encodeURIComponent(event.interactionId)}/pop`, {
        headers: { accept: "*/*" },
      });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const pop = template.content.firstElementChild;
      if (!pop) return;
      const shown = pops.querySelector(`[data-call-pop="${CSS.escape(event.interactionId)}"]`);
      if (shown) shown.replaceWith(pop);
      else if (event.status === "ringing") {
        if (!pops.isConnected) document.body.append(pops);
        pops.prepend(pop);
      }
    };
    live((event) => {
      if (event.kind === "call" && event.interactionId) showPop(event).catch(() => {});
    });
  }

  // 6. On a phone the navigation scrolls sideways: bring the current page's link into view, centred.
  const nav = document.querySelector(".nav");
  const current = nav?.querySelector('[aria-current="page"]');
  if (nav && current && nav.scrollWidth > nav.clientWidth) {
    const left = current.offsetLeft - nav.offsetLeft;
    if (left < nav.scrollLeft || left + current.offsetWidth > nav.scrollLeft + nav.clientWidth) {
      nav.scrollLeft = left - (nav.clientWidth - current.offsetWidth) / 2;
    }
  }

  window.RapportConsole = { csrfToken, shortcut, live };
})();
