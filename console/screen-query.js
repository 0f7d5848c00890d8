// 智能申报查询: the seed's filters (批次号, 配置名称 among them), smart status with the waiting reason,
// declaration status, batch links, 【继续智能辅助申报】 and 【智能辅助申报台】; each row opens its
// declaration (screen-declaration.js).
import { get, post } from "./api.js";
import { msg, t, tRich } from "./i18n.js";
import * as codes from "./codes.js";
import { col, keep, listing, LIST_CODES } from "./listing.js";
import { alertDialog, append, confirmDialog, copyable, h, showError } from "./ui.js";

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
