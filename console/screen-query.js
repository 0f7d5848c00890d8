// 智能申报查询: smart status with the waiting reason, declaration status, batch links, continue;
// one declaration's log as a timeline in China time, receipts, the sent XML as a download, and the
// advisory prompts (温馨提示) a person confirms when the config leaves that to them.
import { get, post } from "./api.js";
import { msg, t, tOr, tRich } from "./i18n.js";
import * as codes from "./codes.js";
import { col, keep, listing, LIST_CODES } from "./listing.js";
import { alertDialog, append, clear, confirmDialog, copyable, h, showError, timeEl, toast } from "./ui.js";

export async function render(main) {
  await codes.load(...LIST_CODES);
  const list = listing({
    caption: t("query.title"),
    filters: ["declaration_type", "enterprise_type", "ie_flag", "declare_customs", "smart_status", "status", "consignee",
      "number", "bill_no", "batch_no", "config_name"],
    // the seed's query screen opens on 一般报关单, 报关申报单位, 进口, 智能申报状态 全部 (and 本月)
    initial: { declaration_type: "general", enterprise_type: "agent", ie_flag: "I" },
    labels: { number: "filter.number_entry" },
    fixed: { smart_mark: "true" },
    selectable: true,
    columns: () => [col.number(), col.bill_no(), col.declare_customs(), col.ie_flag(), col.consignee(),
      { label: t("col.batch_no"), fold: 0, render: (r) => copyable(r.batch_no, t("col.batch_no"), `#/batch/${r.batch_no}`) },
      { label: t("col.config"), wrap: true, fold: 2, render: (r) => r.config_name || t("app.none") },
      keep(col.smart_status()), keep(col.status()),
      { label: t("col.record"), keep: true, render: (r) => h("a", { href: `#/log/${r.seq_no}`, "aria-label": `${t("query.record")} ${r.seq_no}` }, t("query.record")) },
      keep(col.tax_status()), col.updated()],
  });
  async function continueFailed() {
    const seqNos = list.selected();
    if (seqNos.length === 0) return alertDialog(t("marking.none_selected"));
    if (!(await confirmDialog(t("query.continue_confirm")))) return;
    try {
      const result = await post("/declarations/continue", { seq_nos: seqNos });
      const refused = result.refused?.length ? h("ul", { class: "errors" }, result.refused.map((r) => h("li", {}, `${r.seq_no}：${msg(r)}`))) : null;
      await alertDialog(msg(result), refused);
    } catch (err) {
      await showError(err);
    }
    await list.search();
  }
  /** 【智能辅助申报台】: the console of the ticked row's batch, else of the newest batch that declared. */
  async function openConsole() {
    const ticked = list.rows().find((r) => list.selected().includes(r.seq_no) && r.batch_no);
    if (ticked) return void (location.hash = `#/batch/${ticked.batch_no}`);
    try {
      for (const execution of (await get("/executions")).items) {
        const batch = (await get(`/executions/${execution.execution_id}/batches`)).items.find((b) => b.claimed > 0);
        if (batch) return void (location.hash = `#/batch/${batch.batch_no}`);
      }
      await alertDialog(t("query.no_batch"));
    } catch (err) {
      showError(err);
    }
  }
  // the seed's layout: 【智能辅助申报台】 top right, the query, 【继续智能辅助申报】 above the list
  list.root.insertBefore(h("div", { class: "row" }, h("button", { type: "button", onclick: continueFailed }, t("query.continue"))),
    list.root.children[1]);
  append(main,
    h("div", { class: "title-row" }, h("h1", {}, t("query.title"), h("small", { class: "hint" }, t("query.hint"))),
      h("button", { type: "button", class: "primary", onclick: openConsole }, t("query.console_button"))),
    h("p", { class: "tip" }, tRich("query.tip", { query: h("a", { href: "#/query" }, t("query.tip_link")) })),
    list.root);
  await list.search();
}

export async function renderLog(main, seqNo) {
  const [decl, log] = await Promise.all([get(`/declarations/${seqNo}`), get(`/declarations/${seqNo}/log`)]);
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  const receipts = log.items.filter((e) => e.gate === "receipt");
  append(main,
    h("h1", {}, t("log.title", { seq_no: "" }), copyable(seqNo, t("col.number"))),
    h("dl", { class: "facts" },
      h("dt", {}, t("col.smart_status")), h("dd", { "data-field": "smart_status" },
        tOr(`smart.${decl.smart_status}`, decl.smart_status),
        decl.waiting_reason ? `（${tOr(`wait.${decl.waiting_reason}`, decl.waiting_reason)}）` : ""),
      h("dt", {}, t("log.status")), h("dd", { "data-field": "status" }, tOr(`status.${decl.status}`, decl.status_label)),
      h("dt", {}, t("log.entry_id")), h("dd", {}, copyable(decl.entry_id, t("col.entry_id"))),
      h("dt", {}, t("col.batch_no")), h("dd", {}, copyable(decl.batch_no, t("col.batch_no"), `#/batch/${decl.batch_no}`)),
      h("dt", {}, t("col.tax_status")), h("dd", {}, tOr(`tax.${decl.tax_status}`, decl.tax_status))),
    decl.waiting_reason === "advisory" ? advisories(decl, log.items, lang, async () => {
      clear(main);
      await renderLog(main, seqNo);
    }) : null,
    h("h2", {}, t("log.receipts")),
    receipts.length
      ? h("ul", { class: "receipts", "aria-label": t("log.receipts") }, receipts.map((r) => h("li", {},
        timeEl(r.at, { zone: true }), " ", h("strong", {}, outcomeWord(r)), " ", lang === "en" ? r.reason_en : r.reason_zh)))
      : h("p", {}, t("log.empty")),
    h("h2", {}, t("col.record")),
    log.items.length ? h("ol", { class: "timeline" }, log.items.map((e) => entry(e, seqNo, lang))) : h("p", {}, t("log.empty")));
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
    return tOr(`channel.${channel}`, tOr(`outcome.${e.outcome}`, e.outcome));
  }
  return tOr(`outcome.${e.outcome}`, e.outcome);
}

function entry(e, seqNo, lang) {
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
    h("small", {}, `${t("log.who")}: ${e.who || t("app.none")}`, e.batch_no ? ` · ${t("log.batch")}: ${e.batch_no}` : ""),
    details?.sha256 ? h("small", { class: "mono" }, `${t("log.sha256")}: ${details.sha256}`) : null,
    xmlLink);
}

export { clear };
