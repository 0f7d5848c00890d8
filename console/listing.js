// The query form and the paged, selectable declaration list the marking, query and tax screens share.
import { get } from "./api.js";
import * as codes from "./codes.js";
import { t, tOr } from "./i18n.js";
import { append, checkbox, chinaDate, clear, copyable, field, h, select, showError, table, timeEl } from "./ui.js";

const CUSTOMS = ["0101", "0102", "0100", "2201", "2248", "5316", "5300"]; // when the service names no customs table

/** The code tables the lists and their filters name codes from: read before a list is built. */
export const LIST_CODES = ["declare_customs", "transport_mode", "trade_mode"];

const FILTERS = {
  declaration_type: () => select([["", t("filter.all")], ...["general", "with_list", "paperless", "list_paperless", "paperless_clearance"].map((v) => [v, t(`dtype.${v}`)])]),
  enterprise_type: () => select(["agent", "consignee"].map((v) => [v, t(`etype.${v}`)])),
  ie_flag: () => select([["", t("filter.all")], ["I", t("ie.I")], ["E", t("ie.E")]]),
  declare_customs: () => h("input", { list: "customs-codes", inputmode: "numeric", maxlength: 4, pattern: "[0-9]{4}", autocomplete: "off" }),
  smart_mark: () => select([["", t("filter.all")], ["true", t("mark.true")], ["false", t("mark.false")]]),
  status: () => select([["", t("filter.all")], ...["temp_saved", "declared", "accepted", "rejected", "released", "closed"].map((v) => [v, t(`status.${v}`)])]),
  smart_status: () => select([["", t("filter.all")], ...["pending", "in_progress", "succeeded", "failed"].map((v) => [v, t(`smart.${v}`)])]),
  number: () => h("input", { maxlength: 18, autocomplete: "off", class: "mono" }),
  consignee: () => h("input", { maxlength: 18, placeholder: t("filter.consignee_ph"), autocomplete: "off" }),
  bill_no: () => h("input", { maxlength: 50, autocomplete: "off" }),
  transport_mode: () => select([["", t("filter.all")], ...codes.options("transport_mode")]),
  card_no: () => h("input", { maxlength: 32, autocomplete: "off" }),
  batch_no: () => h("input", { maxlength: 20, autocomplete: "off", class: "mono" }),
  config_name: () => h("input", { maxlength: 50, autocomplete: "off" }),
};
// exact numbers: they need no time range, and show on yellow as the seed's screens do
const EXACT = new Set(["number", "bill_no"]);

/** Monday-start week, month, 3 months ending today, in China dates, as the API's `range` counts them. */
function rangeDates(name) {
  const today = chinaDate();
  const [y, m, d] = today.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  const iso = (date) => date.toISOString().slice(0, 10);
  if (name === "today") return [today, today];
  if (name === "week") return [iso(new Date(day - ((day.getUTCDay() + 6) % 7) * 86400000)), today];
  if (name === "month") return [`${today.slice(0, 8)}01`, today];
  const back = new Date(Date.UTC(y, m - 4, Math.min(d, 28)));
  return [iso(back), today];
}

/**
 * A query screen: filters + list + paging. `columns(row)` describe the table; `selectable` adds
 * row checkboxes and `selected()`; `fixed` are query parameters the screen always sends; `initial`
 * the filters' defaults (the seed's: 一般报关单, 报关申报单位, 进口 …; 重置条件 returns to them);
 * `ranges` the quick ranges offered, `range` the one chosen at first; `labels` a filter's label key where
 * the seed's screen words it otherwise (统一编号/海关编号 on the query screens, 统一编号/报关编号 on marking).
 */
export function listing({ caption, filters, columns, selectable = false, fixed = {}, path = "/declarations", initial = {}, rowAttrs,
  ranges = ["today", "week", "month", "3months"], range: firstRange = "month", labels = {} }) {
  const controls = {};
  const form = h("form", { class: "filters", role: "search", "aria-label": caption });
  const grid = h("div", { class: "grid" });
  for (const name of filters) {
    const control = FILTERS[name]();
    control.name = name;
    if (initial[name] !== undefined) {
      control.value = initial[name];
      if (control.tagName === "SELECT") for (const o of control.options) o.defaultSelected = o.value === initial[name];
      else control.defaultValue = initial[name];
    }
    controls[name] = control;
    const shown = field(t(labels[name] || `filter.${name}`), control);
    if (EXACT.has(name)) shown.classList.add("exact");
    append(grid, shown);
  }
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  let range = firstRange;
  const quick = h("div", { class: "quick", role: "group", "aria-label": t("range.label") },
    ranges.map((name) => h("button", {
      type: "button", "aria-pressed": String(name === range), dataset: { range: name },
      onclick: () => setRange(name),
    }, t(`range.${name}`))));
  function setRange(name) {
    range = name;
    [from.value, to.value] = rangeDates(name);
    for (const b of quick.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.range === name));
    search();
  }
  [from.value, to.value] = rangeDates(range);
  for (const input of [from, to]) input.addEventListener("change", () => {
    range = null;
    for (const b of quick.querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
  });
  append(grid, field(t("filter.from"), from), field(t("filter.to"), to));
  const pageSize = select([["10", "10"], ["20", "20"], ["50", "50"]], { name: "page_size", "aria-label": t("paging.page_size") });
  append(form, grid,
    h("div", { class: "row" }, quick,
      h("button", { type: "submit", class: "primary" }, t("filter.search")),
      h("button", { type: "reset" }, t("filter.reset"))),
    h("datalist", { id: "customs-codes" }, (codes.options("declare_customs").length ? codes.options("declare_customs") : CUSTOMS.map((c) => [c, c]))
      .map(([code, text]) => h("option", { value: code }, text))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    search();
  });
  form.addEventListener("reset", () => setTimeout(() => setRange(firstRange)));

  const results = h("div", { class: "results", "aria-live": "polite" });
  const pager = h("nav", { class: "pager", "aria-label": t("paging.summary", { from: "", to: "", total: "" }) });
  let cursors = [null];
  let page = 0;
  let rows = [];
  const chosen = new Set();

  function params() {
    const query = { ...fixed, page_size: pageSize.value };
    for (const [name, control] of Object.entries(controls)) {
      const value = control.value.trim();
      if (!value) continue;
      if (name === "number") query[/^[IE]/i.test(value) ? "seq_no" : "entry_id"] = value.toUpperCase();
      else query[name] = value;
    }
    const exact = query.seq_no || query.entry_id || query.bill_no;
    if (!exact) {
      if (range) query.range = range;
      else {
        if (from.value) query.from = `${from.value}T00:00:00+08:00`;
        if (to.value) query.to = `${to.value}T23:59:59+08:00`;
      }
    }
    return query;
  }

  let latest = 0;
  async function load() {
    const mine = ++latest;
    try {
      const data = await get(path, { ...params(), cursor: cursors[page] || undefined });
      if (mine !== latest) return; // a newer query was asked meanwhile: its answer wins
      rows = data.items;
      cursors[page + 1] = data.next_cursor;
      render(data.total);
    } catch (err) {
      showError(err);
    }
  }

  function search() {
    cursors = [null];
    page = 0;
    chosen.clear();
    // the old rows go at once: nobody ticks a row of the previous answer
    append(clear(results), h("p", { class: "note", "aria-busy": "true" }, t("app.loading")));
    return load();
  }

  function render(total) {
    const cols = columns();
    if (selectable) {
      const all = h("input", { type: "checkbox", "aria-label": t("col.select_all"),
        onchange: (e) => {
          for (const row of rows) (e.target.checked ? chosen.add(row.seq_no) : chosen.delete(row.seq_no));
          for (const box of results.querySelectorAll("input[data-seq]")) box.checked = e.target.checked;
        } });
      cols.unshift({ label: all, keep: true, render: (row) => h("input", {
        type: "checkbox", "data-seq": row.seq_no, checked: chosen.has(row.seq_no),
        "aria-label": `${t("col.select")} ${row.seq_no}`,
        onchange: (e) => (e.target.checked ? chosen.add(row.seq_no) : chosen.delete(row.seq_no)),
      }) });
    }
    for (const row of rows) row.__attrs = rowAttrs ? rowAttrs(row) : {};
    append(clear(results), table(caption, cols, rows));
    const size = Number(pageSize.value);
    const first = page * size + 1;
    append(clear(pager),
      h("span", { class: "summary", role: "status" }, total ? t("paging.summary", { from: first, to: first + rows.length - 1, total }) : t("paging.empty")),
      h("button", { type: "button", disabled: page === 0, onclick: () => { page -= 1; load(); } }, t("paging.prev")),
      h("button", { type: "button", disabled: !cursors[page + 1], onclick: () => { page += 1; load(); } }, t("paging.next")),
      h("span", { class: "page-size" }, t("paging.show_before"), " ", pageSize, " ", t("paging.show_after")));
  }
  pageSize.onchange = search;

  const root = h("div", { class: "listing" }, form, results, pager);
  return { root, search, reload: load, selected: () => [...chosen], rows: () => rows, setRange };
}

/** A column that never folds away (the key, the state, the result, the actions). */
export const keep = (column) => ({ ...column, keep: true });

// the columns several screens show (a later `fold` folds first when the table is too wide)
export const col = {
  number: () => ({ label: t("col.number"), keep: true, render: (r) => h("span", { class: "stack" },
    copyable(r.seq_no, t("col.number"), `#/declarations/${r.seq_no}`), r.entry_id ? copyable(r.entry_id, t("col.entry_id")) : null) }),
  bill_no: () => ({ label: t("col.bill_no"), render: (r) => r.bill_no || t("app.none") }),
  declare_customs: () => ({ label: t("col.declare_customs"), render: (r) => codes.named("declare_customs", r.declare_customs) ?? t("app.none") }),
  ie_flag: () => ({ label: t("col.ie_flag"), render: (r) => t(`ie.${r.ie_flag}`) }),
  consignee: () => ({ label: t("col.consignee"), wrap: true, fold: 2, render: (r) => r.consignee?.name || r.consignee?.code || t("app.none") }),
  status: () => ({ label: t("col.status"), render: (r) => tOr(`status.${r.status}`, r.status_label || r.status) }),
  transport_mode: () => ({ label: t("col.transport_mode"), render: (r) => codes.named("transport_mode", r.transport_mode) ?? t("app.none") }),
  smart_mark: () => ({ label: t("col.smart_mark"), render: (r) => t(`mark.${Boolean(r.smart_mark)}`) }),
  updated: () => ({ label: t("col.updated"), sub: t("app.tz"), fold: 2, render: (r) => timeEl(r.updated_at) }),
  card_no: () => ({ label: t("col.card_no"), fold: 3, render: (r) => r.card_no || r.created_by || t("app.none") }),
  tax_status: () => ({ label: t("col.tax_status"), render: (r) => tOr(`tax.${r.tax_status}`, r.tax_status || t("app.none")) }),
  smart_status: () => ({ label: t("col.smart_status"), wrap: true, render: (r) => smartStatus(r) }),
};

export function smartStatus(r) {
  const status = tOr(`smart.${r.smart_status}`, r.smart_status_label || r.smart_status);
  const en = document.documentElement.lang === "en";
  if (r.smart_status === "pending" && r.waiting_reason) {
    const waiting = t("query.waiting", { status, reason: tOr(`wait.${r.waiting_reason}`, r.waiting_reason) });
    // a missing licence: the reason names the licence and the goods item that needs it
    const which = r.waiting_reason === "licence" ? (en ? r.reason_en : r.reason_zh) : null;
    return which ? h("span", {}, waiting, h("small", { class: "reason" }, which)) : waiting;
  }
  if (r.smart_status === "in_progress" && r.handover) {
    return h("span", {}, status, h("small", { class: "reason", "data-handover": r.handover }, tOr(`handover.${r.handover}`, r.handover_label)));
  }
  if (r.smart_status === "failed" && r.reason_zh) {
    return h("span", {}, status, h("small", { class: "reason" }, en ? r.reason_en : r.reason_zh));
  }
  return status;
}

export { checkbox };
