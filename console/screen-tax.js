// 税费确认查询: the self-paid declarations waiting for a tax confirmation; the computed detail with
// each formula and the ¥50 rule; confirm.
import { get, post } from "./api.js";
import { t, tRich } from "./i18n.js";
import * as codes from "./codes.js";
import { col, keep, listing, LIST_CODES } from "./listing.js";
import { append, confirmDialog, copyable, h, showError, table, timeEl, toast } from "./ui.js";

export async function render(main) {
  await codes.load(...LIST_CODES);
  const list = listing({
    path: "/tax-confirmations",
    caption: t("tax.title"),
    filters: ["declaration_type", "enterprise_type", "consignee", "declare_customs", "number", "bill_no"],
    // the seed's list: the self-paid declarations of smart declaration (marked), 当天/本周/本月
    fixed: { smart_mark: "true" },
    initial: { declaration_type: "general", enterprise_type: "agent" },
    ranges: ["today", "week", "month"],
    labels: { number: "filter.number_entry" },
    columns: () => [col.number(), col.declare_customs(), col.consignee(),
      { label: t("col.consignee_uscc"), render: (r) => r.consignee?.uscc || t("app.none") },
      col.bill_no(), col.updated(), keep(col.tax_status()),
      { label: t("col.actions"), keep: true, render: (r) => h("a", { href: `#/tax/${r.seq_no}`, "aria-label": `${t("tax.confirm_link")} ${r.seq_no}` }, t("tax.confirm_link")) }],
  });
  append(main, h("h1", {}, t("tax.title"), h("small", { class: "hint" }, t("tax.hint"))),
    h("p", { class: "tip" }, tRich("tax.tip", {
      query: h("a", { href: "#/query" }, t("tax.tip_query")), console: h("a", { href: "#/console" }, t("tax.tip_console")),
    })),
    list.root);
  await list.search();
}

export async function renderDetail(main, seqNo) {
  const detail = await get(`/declarations/${seqNo}/tax`);
  const kinds = { duty: t("tax.duty"), consumption_tax: t("tax.consumption_tax"), vat: t("tax.vat") };
  const pct = (rate) => (rate === null || rate === undefined ? t("app.none") : `${(Number(rate) * 100).toFixed(2).replace(/\.?0+$/, "")}%`);
  const columns = [
    { label: t("tax.g_no"), key: "g_no", keep: true },
    { label: t("tax.code_ts"), key: "code_ts", keep: true },
    { label: t("tax.customs_value"), keep: true, render: (i) => money(i.customs_value) },
    { label: t("tax.duty_rate"), render: (i) => pct(i.duty_rate) },
    { label: t("tax.duty"), keep: true, render: (i) => money(i.duty) },
    { label: t("tax.consumption_rate"), render: (i) => pct(i.consumption_rate) },
    { label: t("tax.consumption_specific"), render: (i) => i.consumption_specific ?? t("app.none") },
    { label: t("tax.consumption_tax"), render: (i) => money(i.consumption_tax) },
    { label: t("tax.vat_rate"), render: (i) => pct(i.vat_rate) },
    { label: t("tax.vat"), keep: true, render: (i) => money(i.vat) },
  ];
  const totals = detail.totals;
  // the ¥50 rule waives a tax that is due but small: a kind whose amount is 0 (a 0 rate) is not "waived"
  const waived = (detail.waived || []).filter((k) => Number(totals[k]) > 0).map((k) => kinds[k] || k);
  const confirmBtn = h("button", { type: "button", class: "primary", onclick: confirm }, t("tax.confirm"));
  async function confirm() {
    if (!(await confirmDialog(t("tax.confirm_confirm", { payable: totals.payable })))) return;
    try {
      await post(`/declarations/${seqNo}/tax/confirm`);
      toast(t("tax.confirm_done"));
      location.hash = "#/tax";
    } catch (err) {
      showError(err);
    }
  }
  append(main, ...[
    h("h1", {}, t("tax.detail_title", { seq_no: "" }), copyable(seqNo, t("col.number"))),
    h("p", {}, t("tax.exchange_rates_are", { rates: Object.entries(detail.exchange_rates || {}).map(([cur, rate]) => `${cur} ${rate}`).join(t("app.list_sep")) || t("app.none") })),
    table(t("tax.detail_title", { seq_no: seqNo }), columns, detail.items),
    h("h2", {}, t("tax.formulas")),
    h("ol", { class: "formulas" },
      h("li", {}, t("tax.f.value")), h("li", {}, t("tax.f.duty")), h("li", {}, t("tax.f.consumption")),
      h("li", {}, t("tax.f.vat")), h("li", {}, t("tax.f.round"))),
    h("ul", { class: "item-formulas" }, detail.items.map((i) => h("li", {}, `${t("tax.g_no")} ${i.g_no}：`,
      t("tax.item_formula", { value: i.customs_value, duty_rate: i.duty_rate, duty: i.duty, consumption: i.consumption_tax, vat_rate: i.vat_rate, vat: i.vat })))),
    h("h2", {}, t("tax.totals")),
    h("dl", { class: "facts totals" },
      h("dt", {}, t("tax.customs_value")), h("dd", {}, money(totals.customs_value)),
      h("dt", {}, t("tax.duty")), h("dd", {}, money(totals.duty)),
      h("dt", {}, t("tax.consumption_tax")), h("dd", {}, money(totals.consumption_tax)),
      h("dt", {}, t("tax.vat")), h("dd", {}, money(totals.vat)),
      h("dt", {}, t("tax.payable")), h("dd", { "data-field": "payable" }, h("strong", {}, money(totals.payable)))),
    h("p", { class: "rule50" }, t("tax.rule50")),
    h("p", { class: "note" }, t("tax.wait_note")),
    waived.length ? h("p", { class: "waived", "data-field": "waived" }, t("tax.waived", { kinds: waived.join(t("app.list_sep")) })) : null,
    detail.notes?.length ? h("div", {}, h("h2", {}, t("tax.notes")), h("ul", {}, detail.notes.map((n) => h("li", {}, n)))) : null,
    detail.tax_status === "confirmed"
      ? h("p", { role: "status" }, t("tax.confirmed_msg", { who: detail.confirmed_by }), " ", timeEl(detail.confirmed_at, { zone: true }))
      : h("div", { class: "row" }, confirmBtn),
  ].filter(Boolean));
}

function money(value) {
  return value === null || value === undefined ? t("app.none") : `¥${value}`;
}
