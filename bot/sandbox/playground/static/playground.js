// The page: polls what Billbot sent the Slack stand-in and draws it; sends what the member does to the page
// server, which signs it and posts it to the app exactly as Slack would.
"use strict";

const S = {
  user: localStorage.getItem("pg.user") || "",
  channel: localStorage.getItem("pg.channel") || "",
  tab: "home",
  data: null,
  thread: null,       // {channel, ts} when replying in a thread
  values: {},         // view id -> Slack's state.values for that view (modals and home)
  msgValues: {},      // message ts -> state.values of selects etc. in that message
  errors: {},         // view id -> {block_id: message} from response_action errors
  shown: {},          // what was last drawn, to redraw only what changed
  nodes: {},          // channel id -> message ts -> {json, node} of the messages on screen
  busy: 0,
};

const $ = (sel) => document.querySelector(sel);

async function api(path, body) {
  S.busy += 1;
  document.body.classList.add("busy");
  try {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: S.data.me, ...body }) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || answer.problem) toast(answer.problem || answer.error || `${S.data.words.failed} (${response.status})`);
    return answer;
  } finally {
    S.busy -= 1;
    if (!S.busy) document.body.classList.remove("busy");
    setTimeout(poll, 150);
  }
}

function toast(text) {
  const node = BK.el("div", { class: "toast" }, BK.esc(text));
  $("#toasts").appendChild(node);
  setTimeout(() => node.remove(), 6000);
}

const env = {
  userName: (id) => {
    if (S.data && id === S.data.bot.id) return "Billbot";
    const user = S.data && S.data.users.find((u) => u.id === id);
    return user ? user.real_name : id;
  },
  channelName: (id) => {
    const channel = S.data && S.data.channels.find((c) => c.id === id);
    return channel ? channel.name : id;
  },
  users: () => (S.data ? S.data.users.map((u) => [u.id, u.real_name]) : []),
  channels: (filter) => {
    const include = (filter && filter.include) || ["public", "private", "im", "mpim"];
    return (S.data ? S.data.channels : [])
      .filter((c) => (c.kind === "app" ? include.includes("im") : include.includes(c.private ? "private" : "public")))
      .map((c) => [c.id, c.kind === "app" ? c.name : "#" + c.name]);
  },
};

async function upload(file) {
  const query = new URLSearchParams({ user: S.data.me, filename: file.name });
  const response = await fetch(`/api/upload?${query}`, { method: "POST", body: file });
  if (!response.ok) { toast(S.data.words.failed); return null; }
  return response.json();
}

function viewCtx(view) {
  // After a reload the page has nothing of its own: Slack's copy of the view state is the starting point.
  S.values[view.id] = S.values[view.id] || BK.reconcile(view.blocks, view.state && view.state.values);
  return {
    env, upload,
    values: S.values[view.id],
    errors: S.errors[view.id],
    act: (action) => api("/api/action", { action, view_id: view.id, values: S.values[view.id] }),
    suggest: (action_id, block_id, value) => api("/api/suggest", { action_id, block_id, value, view_id: view.id, values: S.values[view.id] }),
  };
}

function messageCtx(message) {
  S.msgValues[message.ts] = S.msgValues[message.ts] || BK.reconcile(message.blocks, null);
  return {
    env, upload,
    values: S.msgValues[message.ts],
    errors: null,
    act: (action) => api("/api/action", { action, channel: message.channel, message_ts: message.ts, values: S.msgValues[message.ts] }),
    suggest: (action_id, block_id, value) => api("/api/suggest", { action_id, block_id, value }),
  };
}

// ---- drawing --------------------------------------------------------------------------------------------------

function drawSidebar() {
  const d = S.data;
  $("#team").textContent = d.team.name;
  const who = $("#who");
  if (who.options.length !== d.users.length) {
    who.innerHTML = "";
    for (const u of d.users) who.appendChild(BK.el("option", { value: u.id }, BK.esc(`${u.real_name}${u.is_admin ? ` (${d.words.admin})` : ""} · ${u.locale}`)));
  }
  who.value = d.me;
  $("#who-label").textContent = d.words.acting_as;
  $("#channels-label").textContent = d.words.channels;
  $("#apps-label").textContent = d.words.apps;
  const list = $("#channel-list");
  const apps = $("#app-list");
  list.innerHTML = ""; apps.innerHTML = "";
  for (const c of d.channels) {
    const item = BK.el("a", { href: "#", class: `chan ${c.id === S.channel ? "active" : ""}`, "data-channel": c.id, "data-name": c.name },
      c.kind === "app" ? "🤖 " + BK.esc(c.name) : "# " + BK.esc(c.name));
    item.addEventListener("click", (e) => { e.preventDefault(); pick(c.id); });
    (c.kind === "app" ? apps : list).appendChild(item);
  }
}

function channel() {
  return S.data.channels.find((c) => c.id === S.channel) || S.data.channels[0];
}

function drawHeader() {
  const c = channel();
  const w = S.data.words;
  $("#title").textContent = c.kind === "app" ? c.name : "# " + c.name;
  const tabs = $("#tabs");
  tabs.innerHTML = "";
  if (c.kind === "app") {
    for (const [tab, label] of [["home", w.home_tab], ["messages", w.messages_tab]]) {
      const node = BK.el("a", { href: "#", class: `tab ${S.tab === tab ? "active" : ""}`, "data-tab": tab }, BK.esc(label));
      node.addEventListener("click", (e) => { e.preventDefault(); S.tab = tab; if (tab === "home") api("/api/home", {}); draw(true); });
      tabs.appendChild(node);
    }
  }
}

function messageNode(m, replies) {
  const w = S.data.words;
  const node = BK.el("div", { class: `message ${m.ephemeral ? "ephemeral" : ""}`, "data-ts": m.ts });
  const time = new Date(parseFloat(m.ts) * 1000).toLocaleTimeString(BK.locale, { hour: "2-digit", minute: "2-digit" });
  node.appendChild(BK.el("div", { class: "avatar" }, BK.esc((m.user_name || "?").slice(0, 1))));
  const body = BK.el("div", { class: "body" });
  body.appendChild(BK.el("div", { class: "meta" },
    `<b>${BK.esc(m.user_name)}</b>${m.is_bot ? ' <span class="app-badge">APP</span>' : ""} <span class="time">${time}</span>` +
    (m.edited ? ` <span class="time">${BK.esc(w.edited)}</span>` : "") +
    (m.ephemeral ? ` <span class="only-you">👁 ${BK.esc(w.only_you)}</span>` : "")));
  if (m.blocks && m.blocks.length) {
    const blocks = BK.el("div", { class: "blocks" });
    blocks.appendChild(BK.render(m.blocks, messageCtx(m)));
    body.appendChild(blocks);
  } else if (m.text) {
    body.appendChild(BK.el("div", { class: "text" }, BK.mrkdwn(m.text, env)));
  }
  for (const a of m.attachments || []) {
    const att = BK.el("div", { class: "attachment", style: a.color ? `border-color:${a.color.startsWith("#") ? a.color : "#" + a.color}` : "" });
    if (a.blocks) att.appendChild(BK.render(a.blocks, messageCtx(m)));
    else att.innerHTML = BK.mrkdwn(a.text || a.fallback || "", env);
    body.appendChild(att);
  }
  for (const f of m.files || []) {
    body.appendChild(BK.el("a", { class: "file", href: f.url, target: "_blank", "data-file": f.id }, `📎 ${BK.esc(f.title)} <span class="time">${Math.ceil(f.size / 1024)} KB</span>`));
  }
  if (replies && replies.length) {
    const thread = BK.el("div", { class: "thread" });
    thread.appendChild(BK.el("div", { class: "thread-count" }, `${replies.length} ${BK.esc(new Intl.PluralRules(BK.locale).select(replies.length) === "one" ? w.replies_one : w.replies_other)}`));
    for (const r of replies) thread.appendChild(messageNode(r, null));
    body.appendChild(thread);
  }
  if (!m.thread_ts || m.thread_ts === m.ts) {
    const reply = BK.el("a", { href: "#", class: "reply-link" }, BK.esc(w.reply));
    reply.addEventListener("click", (e) => { e.preventDefault(); S.thread = { channel: S.channel, ts: m.ts }; drawComposer(); $("#composer-input").focus(); });
    if (!m.ephemeral) body.appendChild(reply);
  }
  node.appendChild(body);
  return node;
}

function drawMessages(force) {
  const c = channel();
  const pane = $("#messages");
  if (c.kind === "app" && S.tab === "home") {
    const home = S.data.home;
    const key = "home:" + (home ? home.id + home.hash : "none");
    if (!force && S.shown.pane === key) return;
    S.shown.pane = key;
    S.shown.order = "";
    pane.innerHTML = "";
    pane.className = "home";
    if (!home) { pane.appendChild(BK.el("p", { class: "empty" }, BK.esc(S.data.words.no_home))); return; }
    S.values[home.id] = BK.reconcile(home.blocks, S.values[home.id] || (home.state && home.state.values));
    pane.appendChild(BK.render(home.blocks, viewCtx(home)));
    return;
  }
  const messages = S.data.messages[c.id] || [];
  const key = c.id + ":" + JSON.stringify(messages);
  if (!force && S.shown.pane === key) return;
  S.shown.pane = key;
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 60;
  pane.className = "";
  const byParent = {};
  for (const m of messages) if (m.thread_ts && m.thread_ts !== m.ts) (byParent[m.thread_ts] = byParent[m.thread_ts] || []).push(m);
  const tops = messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts || !messages.some((p) => p.ts === m.thread_ts));
  // Only messages that changed are redrawn, in place: a click on a button in another message is never lost
  // to a redraw between the press and the release.
  const before = S.nodes[c.id] || {};
  const after = {};
  const order = [];
  for (const m of tops) {
    const json = JSON.stringify([m, byParent[m.ts] || []]);
    const old = before[m.ts];
    const entry = old && old.json === json && !force ? old : { json, node: messageNode(m, byParent[m.ts]) };
    after[m.ts] = entry;
    order.push(m.ts);
  }
  const sameOrder = S.shown.order === c.id + ":" + order.join(",") && !force;
  if (sameOrder) {
    for (const ts of order) if (before[ts] && before[ts].node !== after[ts].node) before[ts].node.replaceWith(after[ts].node);
  } else {
    pane.replaceChildren(...order.map((ts) => after[ts].node));
    if (!messages.length) pane.appendChild(BK.el("p", { class: "empty" }, BK.esc(S.data.words.hint)));
  }
  S.nodes[c.id] = after;
  S.shown.order = c.id + ":" + order.join(",");
  if (atBottom || force) pane.scrollTop = pane.scrollHeight;
}

function drawComposer() {
  const c = channel();
  const w = S.data.words;
  const input = $("#composer-input");
  input.placeholder = S.thread ? w.reply_placeholder : w.composer_placeholder.replace("{channel}", c.name);
  $("#send").textContent = w.send;
  $("#shortcuts").title = w.shortcuts;
  const banner = $("#thread-banner");
  banner.style.display = S.thread ? "block" : "none";
  banner.innerHTML = S.thread ? `↳ ${BK.esc(w.reply)} <a href="#" id="thread-cancel">×</a>` : "";
  if (S.thread) $("#thread-cancel").onclick = (e) => { e.preventDefault(); S.thread = null; drawComposer(); };
  $("#composer").style.display = c.kind === "app" && S.tab === "home" ? "none" : "flex";
}

function drawModal(force) {
  const stack = S.data.views || [];
  const overlay = $("#modal-overlay");
  const view = stack[stack.length - 1];
  const key = view ? view.id + view.hash + JSON.stringify(S.errors[view.id] || {}) + stack.length : "";
  if (!force && S.shown.modal === key) return;
  S.shown.modal = key;
  if (!view) { overlay.style.display = "none"; overlay.innerHTML = ""; return; }
  S.values[view.id] = BK.reconcile(view.blocks, S.values[view.id] || (view.state && view.state.values));
  overlay.innerHTML = "";
  overlay.style.display = "flex";
  const modal = BK.el("div", { class: "modal", "data-view-id": view.id, "data-callback-id": view.callback_id || "" });
  const head = BK.el("div", { class: "modal-head" });
  head.appendChild(BK.el("span", { class: "modal-title" }, (stack.length > 1 ? "‹ " : "") + BK.textHtml(view.title)));
  const x = BK.el("button", { class: "modal-x", type: "button", title: "×" }, "×");
  x.addEventListener("click", () => api("/api/close", { view_id: view.id, all: true }));
  head.appendChild(x);
  modal.appendChild(head);
  const body = BK.el("div", { class: "modal-body" });
  body.appendChild(BK.render(view.blocks, viewCtx(view)));
  modal.appendChild(body);
  const foot = BK.el("div", { class: "modal-foot" });
  const close = BK.el("button", { class: "bk-button modal-close", type: "button" }, BK.textHtml(view.close) || BK.esc(S.data.words.close));
  close.addEventListener("click", () => api("/api/close", { view_id: view.id, all: false }));
  foot.appendChild(close);
  if (view.submit) {
    const submit = BK.el("button", { class: "bk-button bk-primary modal-submit", type: "button" }, BK.textHtml(view.submit));
    submit.addEventListener("click", async () => {
      submit.disabled = true;
      const answer = await api("/api/submit", { view_id: view.id, values: S.values[view.id] });
      S.errors[view.id] = answer.errors && Object.keys(answer.errors).length ? answer.errors : undefined;
      drawModal(true);
    });
    foot.appendChild(submit);
  }
  modal.appendChild(foot);
  overlay.appendChild(modal);
}

function draw(force) {
  if (!S.data) return;
  drawSidebar();
  drawHeader();
  drawMessages(force);
  drawComposer();
  drawModal(force);
}

function pick(channelId) {
  S.channel = channelId;
  S.thread = null;
  localStorage.setItem("pg.channel", channelId);
  const c = channel();
  if (c.kind === "app") { S.tab = "home"; api("/api/home", {}); }
  draw(true);
}

async function poll() {
  try {
    const response = await fetch(`/api/state?user=${encodeURIComponent(S.user)}`);
    if (!response.ok) { if (S.user) { S.user = ""; localStorage.removeItem("pg.user"); } return; }
    const data = await response.json();
    const first = !S.data;
    if (!first && data.version === S.data.version) return;
    S.data = data;
    S.user = data.me;
    BK.words = data.words;
    BK.locale = data.locale;
    document.documentElement.lang = data.locale;
    if (!data.channels.some((c) => c.id === S.channel)) S.channel = data.channels[0].id;
    $("#banner").textContent = data.words.banner;
    draw(first);
    if (first && channel().kind === "app") api("/api/home", {});
  } catch (error) {
    // The server restarting; the next poll tries again.
  }
}

async function send() {
  const input = $("#composer-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  if (text.startsWith("/")) {
    await api("/api/command", { channel: S.channel, text });
  } else {
    await api("/api/message", { channel: S.channel, text, thread_ts: S.thread ? S.thread.ts : null });
  }
}

BK.confirm = (confirm, go) => {
  const overlay = $("#confirm-overlay");
  overlay.innerHTML = "";
  const box = BK.el("div", { class: "modal confirm" });
  box.appendChild(BK.el("div", { class: "modal-head" }, `<span class="modal-title">${BK.textHtml(confirm.title)}</span>`));
  box.appendChild(BK.el("div", { class: "modal-body" }, BK.textHtml(confirm.text, env)));
  const foot = BK.el("div", { class: "modal-foot" });
  const no = BK.el("button", { class: "bk-button confirm-deny", type: "button" }, BK.textHtml(confirm.deny) || BK.esc(S.data.words.confirm_deny));
  const yes = BK.el("button", { class: `bk-button ${confirm.style === "danger" ? "bk-danger" : "bk-primary"} confirm-yes`, type: "button" }, BK.textHtml(confirm.confirm) || BK.esc(S.data.words.confirm_ok));
  no.onclick = () => { overlay.style.display = "none"; };
  yes.onclick = () => { overlay.style.display = "none"; go(); };
  foot.append(no, yes);
  box.appendChild(foot);
  overlay.appendChild(box);
  overlay.style.display = "flex";
};

// Slack's ⚡ menu: the app's global shortcuts, which need no channel.
function toggleShortcuts() {
  const menu = $("#shortcut-menu");
  if (menu.style.display === "block") { menu.style.display = "none"; return; }
  menu.innerHTML = "";
  for (const id of S.data.shortcuts) {
    const item = BK.el("button", { class: "shortcut", type: "button", "data-callback-id": id }, BK.esc(S.data.words["shortcut_" + id] || id));
    item.onclick = () => { menu.style.display = "none"; api("/api/shortcut", { callback_id: id }); };
    menu.appendChild(item);
  }
  menu.style.display = "block";
}

window.addEventListener("DOMContentLoaded", () => {
  $("#send").addEventListener("click", send);
  $("#shortcuts").addEventListener("click", toggleShortcuts);
  $("#composer-input").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
  $("#who").addEventListener("change", (e) => {
    S.user = e.target.value;
    localStorage.setItem("pg.user", S.user);
    S.data = null; S.values = {}; S.msgValues = {}; S.errors = {}; S.shown = {}; S.nodes = {};
    poll();
  });
  poll();
  setInterval(() => { if (!document.hidden) poll(); }, 700);
});
