// Rapport web chat widget: plain ES2019 for any browser, no dependencies, no build step. The server serves
// texts.js, this file and style.css as one script (see bots/webchat/assets.ts). Embed it with
//   <script src="https://rapport.example.com/webchat/widget.js" data-brand="Acme" data-locale="pl"
//           data-color="#0b7285" async></script>
// Message text is only ever set with textContent: nothing a customer or staff member writes becomes HTML.
// biome-ignore-all lint/complexity/useOptionalChain: optional chaining is ES2020, this file stays ES2019

// biome-ignore lint/correctness/noUnusedVariables: called by the bundle bots/webchat/assets.ts builds
function startRapportWebchat(script, TEXTS, STYLE) {
  const data = script.dataset;
  const base = (data.api || script.src.replace(/\/widget\.js(?:[?#].*)?$/, "")).replace(/\/+$/, "");
  const localeTag = data.locale || navigator.language || "en";
  const t = TEXTS[localeTag.toLowerCase().split(/[-_]/)[0]] || TEXTS.en;
  // the visitor's own time zone, so the team sees their local time and messages respect their night
  const timezone = (() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
    } catch {
      return undefined;
    }
  })();
  const brand = data.brand || document.title || "us";
  const say = (key, fill) =>
    t[key].replace(/\{(\w+)\}/g, (_, name) => (name === "brand" ? brand : (fill && fill[name]) || ""));

  // ---- storage: localStorage throws in some private modes; the chat then lasts as long as the page
  const STORE_KEY = "rapport-webchat:" + base;
  let memory = null;
  const loadSession = () => {
    try {
      const raw = window.localStorage.getItem(STORE_KEY);
      return raw ? JSON.parse(raw) : memory;
    } catch (_) {
      return memory;
    }
  };
  const saveSession = (value) => {
    memory = value;
    try {
      if (value) window.localStorage.setItem(STORE_KEY, JSON.stringify(value));
      else window.localStorage.removeItem(STORE_KEY);
    } catch (_) {
      // memory keeps it for this page
    }
  };

  const uuid = () => {
    const c = window.crypto;
    if (typeof c.randomUUID === "function") return c.randomUUID();
    const b = c.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.prototype.map.call(b, (x) => (x + 0x100).toString(16).slice(1)).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  };

  const api = async (method, path, body) => {
    const init = { method, headers: {} };
    if (body) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(base + path, init); // a network failure rejects with no status
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const error = new Error(json.message || res.statusText);
      error.status = res.status;
      error.body = json;
      throw error;
    }
    return json;
  };

  // ---- DOM: inside a shadow root, so the page's CSS and ours never meet
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    for (const k of Object.keys(attrs || {})) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  };
  const icon = (d) => {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  };

  const host = el("div", { id: "rapport-webchat" });
  const root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  const color = data.color && window.CSS && window.CSS.supports("color", data.color);
  host.style.setProperty("--rw-brand", color ? data.color : "#0b7285");

  const badge = el("span", { className: "badge", hidden: "", "aria-label": t.unread });
  const launcher = el(
    "button",
    { type: "button", className: "launcher", "aria-label": say("open"), "aria-expanded": "false" },
    [icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"), badge],
  );
  const closeButton = el("button", { type: "button", className: "close", "aria-label": t.close, text: "×" });
  const offline = el("p", { className: "offline", role: "status", hidden: "", text: t.offline });
  const log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": t.messages }, [
    el("p", { className: "hello", text: t.hello }),
  ]);
  const emailInput = el("input", {
    id: "rw-email",
    type: "email",
    required: "",
    autocomplete: "email",
    placeholder: "name@example.com",
    "aria-label": t.emailLabel,
  });
  const emailStatus = el("p", { className: "email-status", role: "status" });
  const emailForm = el("form", { className: "email-form", hidden: "", novalidate: "" }, [
    el("label", { className: "email-prompt", for: "rw-email", text: t.emailPrompt }),
    el("div", { className: "row" }, [emailInput, el("button", { type: "submit", text: t.emailSave })]),
  ]);
  const codeInput = el("input", {
    id: "rw-code",
    type: "text",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: "6",
    placeholder: "123456",
    "aria-label": t.codeLabel,
  });
  const codeForm = el("form", { className: "email-form code-form", hidden: "", novalidate: "" }, [
    el("label", { className: "email-prompt", for: "rw-code" }),
    el("div", { className: "row" }, [codeInput, el("button", { type: "submit", text: t.codeSave })]),
  ]);
  const emailToggle = el("button", {
    type: "button",
    className: "email-toggle",
    "aria-expanded": "false",
    text: t.emailToggle,
  });
  // "Get offers by email": a double opt-in, the address gets a link to confirm (bots/double-opt-in.ts)
  const offersInput = el("input", {
    id: "rw-offers",
    type: "email",
    required: "",
    autocomplete: "email",
    placeholder: "name@example.com",
    // not "Your email": the reply-by-email field's name stays its own
    "aria-label": t.offersLabel,
  });
  const offersForm = el("form", { className: "email-form offers-form", hidden: "", novalidate: "" }, [
    el("label", { className: "email-prompt", for: "rw-offers", text: t.offersPrompt }),
    el("div", { className: "row" }, [offersInput, el("button", { type: "submit", text: t.offersSave })]),
  ]);
  const offersToggle = el("button", {
    type: "button",
    className: "email-toggle offers-toggle",
    "aria-expanded": "false",
    text: t.offersToggle,
  });
  const input = el("textarea", { rows: "1", placeholder: t.placeholder, "aria-label": t.placeholder });
  const sendButton = el(
    "button",
    { type: "submit", className: "send", "aria-label": t.send, title: t.send },
    [icon("M3 20l18-8L3 4v6l12 2-12 2z")],
  );
  const composer = el("form", { className: "composer" }, [input, sendButton]);
  const panelId = "rapport-webchat-panel";
  const panel = el(
    "section",
    { className: "panel", id: panelId, role: "dialog", "aria-label": say("title"), hidden: "" },
    [
      el("header", {}, [
        el("div", {}, [el("h2", { text: say("title") }), el("p", { className: "soon", text: t.soon })]),
        closeButton,
      ]),
      offline,
      log,
      el("div", { className: "email" }, [
        emailToggle,
        offersToggle,
        emailForm,
        codeForm,
        offersForm,
        emailStatus,
      ]),
      composer,
    ],
  );
  launcher.setAttribute("aria-controls", panelId);
  root.appendChild(el("style", { text: STYLE }));
  root.appendChild(panel);
  root.appendChild(launcher);

  // ---- messages, keyed by id: history, the live stream and optimistic sends meet here without duplicates
  const messages = [];
  const byTime = (a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
  const nodes = {};
  const timeOf = (at) => {
    try {
      return new Date(at).toLocaleTimeString(localeTag, { hour: "2-digit", minute: "2-digit" });
    } catch (_) {
      return "";
    }
  };
  const draw = (m) => {
    let node = nodes[m.id];
    if (!node) {
      node = el("div", {}, [el("p", { className: "bubble" }), el("span", { className: "meta" })]);
      nodes[m.id] = node;
    }
    // messages is sorted by time: stand before the first later message that is already drawn
    const later = messages.filter((other) => other !== m && other.at > m.at && nodes[other.id]);
    const next = later.length ? nodes[later[0].id] : null;
    if (node.nextSibling !== next || !node.parentNode) log.insertBefore(node, next);
    node.className = "msg " + (m.direction === "inbound" ? "mine" : "theirs") + " " + (m.status || "sent");
    node.firstChild.textContent = m.text;
    const meta = node.lastChild;
    meta.textContent = "";
    if (m.status === "pending") meta.textContent = t.sending;
    else if (m.status === "failed") {
      const retry = el("button", { type: "button", className: "retry", text: t.failed });
      retry.addEventListener("click", () => post(m, 0));
      meta.appendChild(retry);
    } else meta.textContent = timeOf(m.at);
    log.scrollTop = log.scrollHeight;
  };
  // ---- the survey's rating: five star buttons under the question while it is the last message; a press
  // sends the stars ("★★★★"), which the server takes as the answer, and the buttons go as it is shown
  let stars = null;
  const starLabel = (n) => say(n === 1 ? "starOne" : n < 5 ? "starsFew" : "starsMany", { n: String(n) });
  const drawRating = () => {
    if (stars) stars.remove();
    stars = null;
    const last = messages[messages.length - 1];
    if (!last || last.direction === "inbound" || !last.buttons || !nodes[last.id]) return;
    // the server takes a bare answer for a day after the question (bots/survey.ts SURVEY_WINDOW_MS)
    if (Date.now() - Date.parse(last.at) > 24 * 60 * 60 * 1000) return;
    const scores = last.buttons
      .map((b) => Number((/^rate:([1-5])$/.exec(b.value) || [])[1]))
      .filter((n) => n > 0);
    if (!scores.length) return;
    stars = el("div", { className: "stars", role: "group", "aria-label": t.rateGroup });
    for (const n of scores) {
      const star = el("button", { type: "button", className: "star", "aria-label": starLabel(n), text: "★" });
      star.addEventListener("click", () => send("★".repeat(n)));
      stars.appendChild(star);
    }
    log.insertBefore(stars, nodes[last.id].nextSibling);
    log.scrollTop = log.scrollHeight;
  };
  const upsert = (incoming) => {
    const known = messages.filter((m) => m.id === incoming.id)[0];
    if (known) {
      // the server's copy confirms an optimistic message; never downgrade a sent one
      if (known.status !== "sent") known.status = incoming.status;
      draw(known);
      drawRating();
      return false;
    }
    messages.push(incoming);
    messages.sort(byTime);
    draw(incoming);
    drawRating();
    return true;
  };

  // ---- session, history and the live stream
  let session = loadSession();
  let starting = null;
  let source = null;
  let reconnectDelay = 1000;
  let isOpen = false;
  let unread = 0;

  const startSession = (renew) => {
    if (session && !renew && starting === null && session.checked) return Promise.resolve(session);
    if (starting) return starting;
    // where the visitor is and came from: the server keeps it as a new visitor's first touch
    const visit = {
      page: String(location.href).slice(0, 2000),
      referrer: document.referrer.slice(0, 2000) || undefined,
    };
    const body = { locale: localeTag, timezone, ...visit };
    if (session && !renew) {
      body.visitorId = session.visitorId;
      body.token = session.token;
    }
    starting = api("POST", "/api/session", body)
      .catch((error) => {
        // a token signed with an old secret: start afresh as a new visitor
        if (error.status === 401)
          return api("POST", "/api/session", { locale: localeTag, timezone, ...visit });
        throw error;
      })
      .then((s) => {
        session = { visitorId: s.visitorId, token: s.token, checked: true };
        saveSession({ visitorId: s.visitorId, token: s.token });
        starting = null;
        return session;
      })
      .catch((error) => {
        starting = null;
        throw error;
      });
    return starting;
  };
  const query = () =>
    "?visitorId=" + encodeURIComponent(session.visitorId) + "&token=" + encodeURIComponent(session.token);

  const setOffline = (value) => {
    offline.hidden = !value;
  };

  const loadHistory = async () => {
    const json = await api("GET", "/api/history" + query());
    for (const m of json.messages) {
      upsert({
        id: m.id,
        text: m.text,
        at: m.at,
        direction: m.direction,
        status: "sent",
        buttons: m.buttons,
      });
    }
  };

  const openStream = () => {
    if (source) source.close();
    let failed = false;
    source = new EventSource(base + "/api/events" + query());
    source.addEventListener("open", () => {
      setOffline(false);
      reconnectDelay = 1000;
      // back after a gap longer than the server's replay window: history fills it
      if (failed) loadHistory().catch(() => undefined);
      failed = false;
    });
    source.addEventListener("message", (event) => {
      const m = JSON.parse(event.data);
      const added = upsert({
        id: m.id,
        text: m.text,
        at: m.at,
        direction: "outbound",
        status: "sent",
        buttons: m.buttons,
      });
      if (added && !isOpen) {
        unread += 1;
        badge.hidden = false;
        badge.textContent = String(unread);
      }
    });
    source.addEventListener("error", () => {
      failed = true;
      setOffline(true);
      // CLOSED means the server refused the stream (unknown visitor, bad token): renew the session
      if (source && source.readyState === 2) {
        source.close();
        source = null;
        connected = null;
        setTimeout(connect, reconnectDelay);
        reconnectDelay = Math.min(reconnectDelay * 2, 30000);
      }
    });
  };

  let connected = null;
  const connect = () => {
    if (!connected) {
      connected = startSession(false)
        .then(loadHistory)
        .then(openStream)
        .catch(() => {
          connected = null;
          setOffline(true);
          setTimeout(connect, reconnectDelay);
          reconnectDelay = Math.min(reconnectDelay * 2, 30000);
        });
    }
    return connected;
  };

  // ---- sending: shown at once, retried on network failure, stored once thanks to clientMessageId
  const post = async (m, attempt) => {
    m.status = "pending";
    draw(m);
    try {
      const s = await startSession(false);
      const stored = await api("POST", "/api/messages", {
        visitorId: s.visitorId,
        token: s.token,
        clientMessageId: m.id,
        text: m.text,
        locale: localeTag,
      });
      // the server's clock orders the conversation, not this device's
      m.at = stored.at || m.at;
      messages.sort(byTime);
      m.status = "sent";
      setOffline(false);
      draw(m);
    } catch (error) {
      if ((error.status === 404 || error.status === 401) && attempt === 0) {
        session = null;
        connected = null;
        await startSession(true).catch(() => undefined);
        connect();
        return post(m, 1);
      }
      const transient = !error.status || error.status >= 500 || error.status === 429;
      if (transient && attempt < 5) {
        if (!error.status) setOffline(true);
        m.status = "pending";
        draw(m);
        setTimeout(() => post(m, attempt + 1), Math.min(1000 * 2 ** attempt, 15000));
        return undefined;
      }
      m.status = "failed";
      draw(m);
    }
    return undefined;
  };
  window.addEventListener("online", () => {
    for (const m of messages) if (m.status === "failed") post(m, 0);
  });

  const send = (text) => {
    const m = { id: uuid(), text, at: new Date().toISOString(), direction: "inbound", status: "pending" };
    upsert(m);
    post(m, 0);
  };
  const submit = () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "";
    send(text);
  };
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter breaks the line; an IME composing a word keeps its Enter
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  });

  // ---- email: optional, lets the brand answer after the visitor has left
  emailToggle.addEventListener("click", () => {
    emailForm.hidden = !emailForm.hidden;
    emailToggle.setAttribute("aria-expanded", String(!emailForm.hidden));
    if (!emailForm.hidden) emailInput.focus();
  });
  emailForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = emailInput.value.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      emailStatus.textContent = t.emailInvalid;
      return;
    }
    try {
      const s = await startSession(false);
      // the address is only a claim until the code we email there is typed back here
      await api("POST", "/api/identify", { visitorId: s.visitorId, token: s.token, email });
      emailForm.hidden = true;
      emailToggle.hidden = true;
      emailStatus.textContent = "";
      codeForm.querySelector("label").textContent = say("codeSent", { email });
      codeForm.hidden = false;
      codeInput.value = "";
      codeInput.focus();
    } catch (error) {
      emailStatus.textContent =
        error.status === 400 ? t.emailInvalid : error.status === 429 ? t.codeTooMany : t.offline;
    }
  });
  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = codeInput.value.replace(/\s/g, "");
    if (!/^\d{6}$/.test(code)) {
      emailStatus.textContent = t.codeInvalid;
      return;
    }
    try {
      const s = await startSession(false);
      const answer = await api("POST", "/api/verify", { visitorId: s.visitorId, token: s.token, code });
      codeForm.hidden = true;
      emailStatus.textContent = say("emailSaved", { email: answer.email });
      // the focused field just disappeared: hand focus back to the conversation
      input.focus();
    } catch (error) {
      if (error.status === 422) {
        emailStatus.textContent = say("codeWrong", { left: String(error.body.attemptsLeft || 0) });
        codeInput.select();
      } else if (error.status === 410) {
        // expired or used up: start again from the email
        codeForm.hidden = true;
        emailForm.hidden = false;
        emailStatus.textContent = t.codeExpired;
        emailInput.focus();
      } else emailStatus.textContent = error.status === 400 ? t.codeInvalid : t.offline;
    }
  });

  // ---- offers by email: the address gets a link; nothing is signed up until it is confirmed there
  offersToggle.addEventListener("click", () => {
    offersForm.hidden = !offersForm.hidden;
    offersToggle.setAttribute("aria-expanded", String(!offersForm.hidden));
    if (!offersForm.hidden) offersInput.focus();
  });
  offersForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = offersInput.value.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      emailStatus.textContent = t.emailInvalid;
      return;
    }
    try {
      const s = await startSession(false);
      await api("POST", "/api/subscribe", { visitorId: s.visitorId, token: s.token, email });
      offersForm.hidden = true;
      offersToggle.hidden = true;
      emailStatus.textContent = say("offersSent", { email });
      input.focus();
    } catch (error) {
      emailStatus.textContent =
        error.status === 400 ? t.emailInvalid : error.status === 429 ? t.offersTooMany : t.offline;
    }
  });

  // ---- open and close
  const setOpen = (value) => {
    isOpen = value;
    panel.hidden = !value;
    host.classList.toggle("open", value);
    launcher.setAttribute("aria-expanded", String(value));
    if (value) {
      unread = 0;
      badge.hidden = true;
      connect();
      input.focus();
    } else launcher.focus();
  };
  launcher.addEventListener("click", () => setOpen(!isOpen));
  closeButton.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });

  document.body.appendChild(host);
  if (!navigator.onLine) setOffline(true);
  // a returning visitor is connected at once, so a reply arriving while the chat is closed shows a badge
  if (session) connect();
  return { open: () => setOpen(true), close: () => setOpen(false) };
}
