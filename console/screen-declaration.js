// 报关单: one declaration, the page every link to it opens (the console's lists, e-mails, the SMS
// short link /s/{code}). Its state and reason with the action that fits (继续智能辅助申报, 税费确认,
// 确认温馨提示); every field the model holds, grouped as the Single Window's form groups them (the
// field table, GET /declaration-fields: it grows with the model); then customs' receipts and the
// declaration log (申报记录) as a timeline in China time, the sent XML as a download.
// An unknown seq_no and another enterprise's read alike: the same "not found" page.
import { get, post } from "./api.js";
import * as codes from "./codes.js";
import { getLang, msg, t, tOr } from "./i18n.js";
import { alertDialog, append, clear, confirmDialog, copyable, h, showError, table, timeEl, toast } from "./ui.js";

export async function render(main, seqNo, { focus = null } = {}) {
  let decl;
  let log;
  try {
    [decl, log] = await Promise.all([get(`/declarations/${seqNo}`), get(`/declarations/${seqNo}/log`)]);
  } catch (err) {
    if (err?.status === 404) return notFound(main, seqNo);
    throw err;
  }
  const catalogue = await codes.fields();
  await codes.load(...catalogue.fields.filter((f) => f.code_table).map((f) => f.path));
  if (!main.isConnected) return;
  const lang = getLang();
  const reload = async () => {
    clear(main);
    await render(main, seqNo);
  };
  append(main,
    h("h1", {}, t("decl.title"), copyable(seqNo, t("col.number")), decl.entry_id ? copyable(decl.entry_id, t("col.entry_id")) : null),
    state(decl, reload),
    decl.waiting_reason === "advisory" ? advisories(decl, log.items, lang, reload) : null,
    h("section", { class: "declaration-form", "aria-labelledby": "form-title" },
      h("h2", { id: "form-title" }, t("decl.form")),
      catalogue.groups.map((g) => group(g, catalogue.fields.filter((f) => f.group === g.key), decl, lang))),
    receiptsOf(log.items, lang),
    h("h2", { id: "log-title" }, t("col.record")),
    log.items.length
      ? h("ol", { class: "timeline" }, log.items.map((e) => entry(e, seqNo, lang, catalogue.fields)))
      : h("p", {}, t("log.empty")));
  if (focus === "log") document.getElementById("log-title")?.scrollIntoView();
}

function notFound(main, seqNo) {
  append(main,
    h("h1", {}, t("decl.not_found_title")),
    h("p", { role: "alert" }, t("decl.not_found", { seq_no: seqNo })),
    h("p", {}, h("a", { href: "#/query" }, t("decl.to_query"))));
}

/** Where the declaration stands, why, and the action that fits it. */
function state(decl, reload) {
  const lang = getLang();
  const said = lang === "en" ? decl.reason_en : decl.reason_zh;
  let reason = said;
  if (decl.smart_status === "pending" && decl.waiting_reason) {
    const waiting = tOr(`wait.${decl.waiting_reason}`, decl.waiting_reason);
    reason = decl.waiting_reason === "licence" && said ? t("query.waiting", { status: waiting, reason: said }) : waiting; // names the licence
  } else if (decl.smart_status === "in_progress" && decl.handover) {
    reason = tOr(`handover.${decl.handover}`, decl.handover_label);
  }
  const fact = (label, value, field) => [h("dt", {}, label), h("dd", field ? { "data-field": field } : {}, value ?? t("app.none"))];
  async function continueIt() {
    if (!(await confirmDialog(t("query.continue_confirm")))) return;
    try {
      const result = await post("/declarations/continue", { seq_nos: [decl.seq_no] });
      const refused = result.refused?.map((r) => msg(r)).join(t("app.list_sep"));
      await alertDialog(msg(result), refused ? h("p", { class: "errors" }, refused) : null);
      await reload();
    } catch (err) {
      showError(err);
    }
  }
  const actions = [
    decl.smart_status === "failed" && decl.status === "temp_saved"
      ? h("button", { type: "button", class: "primary", onclick: continueIt }, t("query.continue")) : null,
    decl.tax_status === "unconfirmed" ? h("a", { class: "button primary", href: `#/tax/${decl.seq_no}` }, t("tax.confirm_link")) : null,
    decl.waiting_reason === "advisory" ? h("a", { class: "button primary", href: "#advisories-title" }, t("log.advisories_confirm")) : null,
  ].filter(Boolean);
  return h("section", { class: "live", "aria-labelledby": "state-title" },
    h("h2", { id: "state-title" }, t("decl.state")),
    h("dl", { class: "facts two" },
      fact(t("log.status"), tOr(`status.${decl.status}`, decl.status_label), "status"),
      fact(t("col.smart_status"), h("span", {}, tOr(`smart.${decl.smart_status}`, decl.smart_status_label),
        reason ? h("small", { class: "reason" }, reason) : null), "smart_status"),
      decl.handover ? fact(t("handover.label"), h("span", {}, tOr(`handover.${decl.handover}`, decl.handover_label),
        decl.send_no ? h("small", { class: "reason" }, t("decl.send_no", { n: decl.send_no })) : null), "handover") : null,
      fact(t("col.smart_mark"), t(`mark.${Boolean(decl.smart_mark)}`)),
      fact(t("col.tax_status"), tOr(`tax.${decl.tax_status}`, t("app.none"))),
      fact(t("col.batch_no"), decl.batch_no ? copyable(decl.batch_no, t("col.batch_no"), `#/batch/${decl.batch_no}`) : null),
      fact(t("col.config"), decl.config_name),
      fact(t("decl.marked_by"), decl.marked_by ? h("span", {}, decl.marked_by, " ", timeEl(decl.marked_at, { zone: true })) : null),
      fact(t("col.card_no"), decl.card_no),
      fact(t("decl.created"), h("span", {}, decl.created_by, " ", timeEl(decl.created_at, { zone: true }))),
      fact(t("col.updated"), timeEl(decl.updated_at, { zone: true }))),
    actions.length ? h("div", { class: "row" }, actions) : null);
}

function label(f, lang) {
  return lang === "en" ? f.label_en : f.label_zh;
}

function at(value, path) {
  return path.split(".").reduce((o, key) => (o === null || o === undefined ? undefined : o[key]), value);
}

/** A value as people read it: codes with their names, flags and kinds in words. */
function shown(f, value) {
  if (value === null || value === undefined || value === "") return t("app.none");
  if (typeof value === "boolean") return t(value ? "app.yes" : "app.no");
  const leaf = f.path.replace(/^\w+\[\]\./, "");
  if (leaf === "ie_flag") return tOr(`ie.${value}`, value);
  if (leaf === "declaration_type") return tOr(`dtype.${value}`, value);
  if (f.code_table) return codes.coded(f.path, value);
  return String(value);
}

/** "goods[].licences[].licence_no" → "goods[].licences"; "" for the head. */
function listOf(path) {
  const at = path.lastIndexOf("[].");
  return at < 0 ? "" : path.slice(0, at);
}

/** A list's rows: decl.goods, or a list within each item (goods[].licences, goods[].licences[].vins)
 * with its goods item's number. */
function rowsOf(decl, list) {
  const [outer, ...inner] = list.split("[].");
  const items = decl[outer] || [];
  if (!inner.length) return items;
  const within = (item) => inner.reduce((rows, name) => rows.flatMap((row) => row[name] || []), [item]);
  return items.flatMap((item, i) => within(item).map((row) => ({ ...row, __item: item.g_no ?? i + 1 })));
}

/** One of the form's groups: its head fields as label and value, each list (goods, other packages, a
 * goods item's licences) as a table. */
function group(g, fields, decl, lang) {
  const title = lang === "en" ? g.label_en : g.label_zh;
  const parts = [...new Set(fields.map((f) => listOf(f.path)))];
  return h("section", { class: "form-group", "aria-labelledby": `group-${g.key}` },
    h("h3", { id: `group-${g.key}` }, title),
    parts.map((list) => {
      const mine = fields.filter((f) => listOf(f.path) === list);
      if (list === "") {
        return h("dl", { class: "facts two" }, mine.map((f) => [
          h("dt", {}, label(f, lang)), h("dd", { "data-path": f.path }, shown(f, at(decl, f.path)))]));
      }
      const name = parts.length > 1 ? tOr(`entry.list.${list.split(".").pop()}`, title) : title;
      const columns = mine.map((f, i) => ({
        label: label(f, lang), keep: i < 3, wrap: /name|model/.test(f.path),
        render: (row) => shown(f, at(row, f.path.slice(list.length + 3))),
      }));
      if (list.includes("[]")) columns.unshift({ label: t("decl.goods_item"), keep: true, render: (row) => String(row.__item) });
      return table(name, columns, rowsOf(decl, list), { empty: t("decl.none_of", { what: name }), id: `declaration-${list}` });
    }));
}

function receiptsOf(entries, lang) {
  const receipts = entries.filter((e) => e.gate === "receipt");
  return [h("h2", {}, t("log.receipts")),
    receipts.length
      ? h("ul", { class: "receipts", "aria-label": t("log.receipts") }, receipts.map((r) => h("li", { class: `outcome-${r.outcome}` },
        timeEl(r.at, { zone: true }), " ", h("strong", {}, outcomeWord(r)), " ", lang === "en" ? r.reason_en : r.reason_zh)))
      : h("p", {}, t("log.empty"))];
}

/** The prompts the declaration waits on (the advisory gate's latest waiting line) and their confirmation. */
function advisories(decl, entries, lang, reload) {
  const waiting = entries.filter((e) => e.gate === "advisory" && Array.isArray(e.details?.prompts)).at(-1); // oldest first
  const prompts = waiting ? waiting.details.prompts : [];
  const text = (p) => (lang === "en" ? p.message_en : p.message_zh); // a goods item's prompt names the item
  const list = () => h("ul", { class: "advisories" }, prompts.map((p) => h("li", {}, text(p))));
  async function confirmThem() {
    if (!(await confirmDialog(t("log.advisories_confirm_q"), { body: list() }))) return;
    try {
      await post(`/declarations/${decl.seq_no}/advisories/confirm`, {});
      toast(t("log.advisories_confirmed"));
      await reload();
    } catch (err) {
      await showError(err);
    }
  }
  return h("section", { class: "advisory", "aria-labelledby": "advisories-title" },
    h("h2", { id: "advisories-title" }, t("log.advisories")),
    h("p", { class: "tip" }, t("log.advisories_tip")),
    list(),
    h("button", { type: "button", class: "primary", onclick: confirmThem }, t("log.advisories_confirm")));
}

/** A log line's outcome in words; a receipt's is its channel's (L → 海关入库成功), as customs names it. */
export function outcomeWord(e) {
  if (e.gate === "receipt") {
    const channel = e.details?.channel || e.outcome;
    const said = tOr(`channel.${channel}`, tOr(`outcome.${e.outcome}`, e.outcome));
    // a receipt kept, not applied (its numbers disagree, or it came before the declaration was declared):
    // what was done with it first, then what it said
    if (e.outcome === "conflict" || e.outcome === "ignored") {
      return e.details?.channel ? t("query.waiting", { status: t(`outcome.${e.outcome}`), reason: said }) : t(`outcome.${e.outcome}`);
    }
    return said;
  }
  return tOr(`outcome.${e.outcome}`, e.outcome);
}

/** A comparison's differences, field by field in the form's words: 件数：申报 10，舱单 12. */
function differences(details, fields, lang) {
  if (!Array.isArray(details) || !details.every((d) => d && typeof d === "object" && "field" in d)) return null;
  const named = (path) => {
    if (path === "manifest") return t("decl.no_manifest");
    const f = fields.find((x) => x.path === path);
    return f ? label(f, lang) : path;
  };
  return h("ul", { class: "differences" }, details.map((d) => h("li", {},
    t("decl.difference", { field: named(d.field), declared: d.declared || t("app.none"), manifest: d.manifest || t("app.none") }))));
}

function entry(e, seqNo, lang, fields) {
  const details = e.details && typeof e.details === "object" ? e.details : null;
  let xmlLink = null;
  if (details?.xml) {
    // the sent DecMessage is a download, never shown inline
    const url = URL.createObjectURL(new Blob([details.xml], { type: "application/xml" }));
    xmlLink = h("a", { href: url, download: `${seqNo}-${e.batch_no || "message"}.xml`, class: "download" }, t("log.download"));
  }
  return h("li", { class: `outcome-${e.outcome}` },
    timeEl(e.at, { zone: true }),
    h("span", { class: "gate" }, tOr(`gate.${e.gate}`, e.gate)),
    h("span", { class: "outcome" }, outcomeWord(e)),
    h("span", { class: "reason" }, lang === "en" ? e.reason_en : e.reason_zh),
    e.gate === "compare" ? differences(e.details, fields, lang) : null,
    h("small", {}, `${t("log.who")}: ${e.who || t("app.none")}`, e.batch_no ? ` · ${t("log.batch")}: ${e.batch_no}` : ""),
    details?.sha256 ? h("small", { class: "mono" }, `${t("log.sha256")}: ${details.sha256}`) : null,
    xmlLink);
}
