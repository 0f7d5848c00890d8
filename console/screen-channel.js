// 报文客户端状态: how declarations reach customs (docs/customs-channel.md). The channel, the agent on
// the broker's PC (online / silent / never seen, its last contact), the Single Window client (sending
// or not, its folders), the messages handed over and not yet answered, InBox files kept unapplied;
// then the agent credentials: the legal card creates one (its key shown once, with a copy button and
// a warning) and revokes one (after a confirmation); an operator card sees the list only.
// The smart console shows the same state in one line (summary()), linking here.
import { del, get, post } from "./api.js";
import { currentSession } from "./auth.js";
import { t, tOr } from "./i18n.js";
import { alertDialog, append, clear, confirmDialog, copyable, field, h, showError, table, timeEl, toast } from "./ui.js";

const FOLDERS = ["outbox", "sentbox", "failbox", "inbox", "quarantine"];
const COUNTED = ["queued", "taken", "written", "sent"];

/** A wait in seconds as people say it (45 秒, 12 分钟, 3 小时). */
export function age(seconds) {
  if (seconds === null || seconds === undefined) return t("app.none");
  if (seconds < 120) return t("cc.seconds", { n: Math.round(seconds) });
  if (seconds < 7200) return t("cc.minutes", { n: Math.round(seconds / 60) });
  return t("cc.hours", { n: Math.round(seconds / 3600) });
}

/** A state of the agent or the client in words, marked for the eye (ok / warn). */
function stateWord(part, state) {
  const ok = state === "online" || state === "up";
  const bad = state === "silent" || state === "down";
  return h("strong", { class: ok ? "ok-text" : bad ? "warn-text" : null, "data-state": state }, tOr(`cc.${part}.${state}`, state));
}

/** One line for the smart console: the agent, the client and what waits, with a link to this screen. */
export function summary(c) {
  if (!c) return null;
  const waiting = COUNTED.reduce((n, s) => n + (c.outbox?.[s] || 0), 0);
  return h("p", { class: "channel-summary", "aria-label": t("cc.summary") },
    h("span", { class: "label" }, t("app.label", { label: t("cc.summary") })),
    c.channel === "http" ? t("cc.channel.http") : [
      `${t("cc.agent")} `, stateWord("agent", c.agent.state), " · ",
      `${t("cc.client")} `, stateWord("client", c.client.state), " · ",
      `${t("cc.outbox")} ${waiting}`],
    " ", h("a", { href: "#/channel" }, t("cc.open")));
}

export async function render(main) {
  const legal = currentSession()?.claims.role === "legal";
  const [channel, credentials] = await Promise.all([get("/customs/channel"), get("/agent-credentials")]);
  if (!main.isConnected) return;
  const fact = (label, value) => [h("dt", {}, label), h("dd", {}, value ?? t("app.none"))];
  const a = channel.agent;
  const c = channel.client;
  const status = h("section", { class: "live", "aria-labelledby": "cc-state" },
    h("h2", { id: "cc-state" }, t("cc.channel_is", { channel: tOr(`cc.channel.${channel.channel}`, channel.channel) })),
    channel.channel === "http" ? h("p", { class: "note" }, t("cc.http_note")) : null,
    h("dl", { class: "facts two" },
      fact(t("cc.agent"), stateWord("agent", a.state)),
      fact(t("cc.last_contact"), a.last_contact_at ? timeEl(a.last_contact_at, { zone: true }) : null),
      fact(t("cc.host"), a.hostname),
      fact(t("cc.version"), a.agent_version),
      fact(t("cc.client"), stateWord("client", c.state)),
      fact(t("cc.oldest"), c.oldest_outbox_age_seconds !== null ? age(c.oldest_outbox_age_seconds) : null),
      c.down_since ? fact(t("cc.down_since"), timeEl(c.down_since, { zone: true })) : null));
  const folders = FOLDERS.filter((f) => channel.folders?.[f]).map((f) => ({ folder: f, ...channel.folders[f] }));
  const outbox = h("dl", { class: "facts counts", "aria-label": t("cc.outbox") },
    COUNTED.map((s) => [h("dt", {}, t(`cc.outbox.${s}`)), h("dd", { "data-count": s }, String(channel.outbox?.[s] ?? 0))]));
  append(main,
    h("h1", {}, t("cc.title")),
    h("p", { class: "tip" }, t("cc.tip")),
    status,
    h("h2", {}, t("cc.outbox")), outbox,
    h("h2", {}, t("cc.folders")),
    folders.length
      ? table(t("cc.folders"), [
        { label: t("cc.folder"), keep: true, render: (r) => t(`cc.folder.${r.folder}`) },
        { label: t("cc.count"), keep: true, render: (r) => String(r.count) },
        { label: t("cc.oldest_age"), keep: true, render: (r) => age(r.oldest_age_seconds) },
      ], folders, { id: "channel-folders" })
      : h("p", { class: "note" }, t("cc.no_folders")),
    h("h2", {}, t("cc.kept")),
    channel.kept_files.length ? [h("p", { class: "tip" }, t("cc.kept_tip")), table(t("cc.kept"), [
      { label: t("cc.file"), keep: true, wrap: true, render: (r) => h("span", { class: "mono" }, r.file_name) },
      { label: t("cc.kind"), keep: true, render: (r) => tOr(`cc.kind.${r.kind}`, r.kind) },
      { label: t("col.number"), keep: true, render: (r) => (r.client_seq_no ? h("a", { href: `#/declarations/${r.client_seq_no}` }, r.client_seq_no) : t("app.none")) },
      { label: t("cc.received"), sub: t("app.tz"), render: (r) => timeEl(r.received_at) },
    ], channel.kept_files, { id: "channel-kept" })] : h("p", {}, t("cc.no_kept")),
    credentialsPart(credentials.items, legal, () => rerender(main)));
}

async function rerender(main) {
  clear(main);
  await render(main);
}

function credentialsPart(items, legal, reload) {
  const section = h("section", { "aria-labelledby": "cred-title" }, h("h2", { id: "cred-title" }, t("cred.title")),
    h("p", { class: "tip" }, t("cred.tip")));
  if (legal) {
    const name = h("input", { name: "name", required: true, maxlength: 64, autocomplete: "off" });
    const form = h("form", { class: "row", "aria-label": t("cred.create") }, field(t("cred.name"), name),
      h("button", { type: "submit", class: "primary" }, t("cred.create")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const created = await post("/agent-credentials", { name: name.value.trim() });
        toast(t("cred.created"));
        await showKey(created);
        await reload();
      } catch (err) {
        showError(err);
      }
    });
    append(section, form);
  } else {
    append(section, h("p", { class: "note" }, t("cred.legal_only")));
  }
  const revoke = async (c) => {
    if (!(await confirmRevoke(c))) return;
    try {
      await del(`/agent-credentials/${c.credential_id}`);
      toast(t("cred.revoked_done"));
      await reload();
    } catch (err) {
      showError(err);
    }
  };
  const columns = [
    { label: t("cred.name"), keep: true, wrap: true, render: (c) => c.name },
    { label: t("cred.state"), keep: true, render: (c) => (c.active ? t("cred.active") : [t("cred.revoked"), " ", timeEl(c.revoked_at)]) },
    { label: t("cc.last_contact"), sub: t("app.tz"), keep: true, render: (c) => (c.last_contact_at ? timeEl(c.last_contact_at) : t("cred.never")) },
    { label: t("cred.id"), fold: 2, render: (c) => h("span", { class: "mono" }, c.credential_id) },
    { label: t("cc.host"), fold: 2, render: (c) => c.hostname || t("app.none") },
    { label: t("cc.version"), fold: 3, render: (c) => c.agent_version || t("app.none") },
    { label: t("cred.created_at"), sub: t("app.tz"), fold: 3, render: (c) => timeEl(c.created_at) },
    { label: t("cred.created_by"), fold: 3, render: (c) => c.created_by || t("app.none") },
  ];
  if (legal) {
    columns.push({ label: t("col.actions"), keep: true, render: (c) => (c.active
      ? h("button", { type: "button", class: "small danger", "aria-label": `${t("cred.revoke")} ${c.name}`, onclick: () => revoke(c) }, t("cred.revoke"))
      : t("app.none")) });
  }
  append(section, table(t("cred.title"), columns, items, { empty: t("cred.empty"), id: "agent-credentials" }));
  return section;
}

function confirmRevoke(c) {
  return confirmDialog(t("cred.revoke_confirm", { name: c.name }), { confirm: t("cred.revoke") });
}

/** The key, this once, with a copy button and the warning that it cannot be shown again. */
function showKey(created) {
  return alertDialog(t("cred.key_title"), h("div", { class: "secret" },
    h("p", { class: "warn", role: "alert" }, t("cred.key_warning")),
    h("p", {}, h("span", { class: "label" }, t("app.label", { label: t("cred.name") })), created.name),
    copyable(created.key, t("cred.key"))));
}
