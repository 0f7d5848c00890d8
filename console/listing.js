// The query form and the paged, selectable declaration list the marking, query and tax screens share.
import { get } from "./api.js";
import { t, tOr } from "./i18n.js";
import { append, checkbox, chinaDate, clear, copyable, field, h, select, showError, table, timeEl } from "./ui.js";

const CUSTOMS = ["0101", "0102", "0100", "2201", "2248", "5316", "5300"];

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
  transport_mode: () => select([["", t("filter.all")], ...["0", "1", "2", "3", "4", "5", "6", "9"].map((v) => [v, t(`transport.${v}`)])]),
  card_no: () => h("input", { maxlength: 32, autocomplete: "off" }),
};

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
 * row checkboxes and `selected()`; `fixed` are query parameters the screen always sends.
 */
export function listing({ caption, filters, columns, selectable = false, fixed = {}, path = "/declarations", initial = {}, rowAttrs }) {
  const controls = {};
  const form = h("form", { class: "filters", role: "search", "aria-label": caption });
  const grid = h("div", { class: "grid" });
  for (const name of filters) {
    const control = FILTERS[name]();
    control.name = name;
    if (initial[name] !== undefined) control.value = initial[name];
    controls[name] = control;
    append(grid, field(t(name === "number" ? "filter.number" : `filter.${name}`), control));
  }
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  let range = "3months";
  const quick = h("div", { class: "quick", role: "group", "aria-label": t("range.label") },
    ["today", "week", "month", "3months"].map((name) => h("button", {
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
  const pageSize = select([["10", "10"], ["20", "20"], ["50", "50"]], { name: "page_size" });
  append(form, grid,
    h("div", { class: "row" }, quick,
      h("button", { type: "submit", class: "primary" }, t("filter.search")),
      h("button", { type: "reset" }, t("filter.reset"))),
    h("datalist", { id: "customs-codes" }, CUSTOMS.map((c) => h("option", { value: c }))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    search();
  });
  form.addEventListener("reset", () => setTimeout(() => setRange("3months")));

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
      field(t("paging.page_size"), pageSize));
  }
  pageSize.onchange = search;

  const root = h("div", { class: "listing" }, form, results, pager);
  return { root, search, reload: load, selected: () => [...chosen], rows: () => rows, setRange };
}

/** A column that never folds away (the key, the state, the result, the actions). */
export const keep = (column) => ({ ...column, keep: true });

// the columns several screens show (a later `fold` folds first when the table is too wide)
export const col = {
  number: () => ({ label: t("col.number"), keep: true, render: (r) => h("span", { class: "stack" }, copyable(r.seq_no, t("col.number")), r.entry_id ? copyable(r.entry_id, t("col.entry_id")) : null) }),
  bill_no: () => ({ label: t("col.bill_no"), render: (r) => r.bill_no || t("app.none") }),
  declare_customs: () => ({ label: t("col.declare_customs"), key: "declare_customs" }),
  ie_flag: () => ({ label: t("col.ie_flag"), render: (r) => t(`ie.${r.ie_flag}`) }),
  consignee: () => ({ label: t("col.consignee"), wrap: true, fold: 2, render: (r) => r.consignee?.name || r.consignee?.code || t("app.none") }),
  status: () => ({ label: t("col.status"), render: (r) => tOr(`status.${r.status}`, r.status_label || r.status) }),
  transport_mode: () => ({ label: t("col.transport_mode"), render: (r) => tOr(`transport.${r.transport_mode}`, r.transport_mode || t("app.none")) }),
  smart_mark: () => ({ label: t("col.smart_mark"), render: (r) => t(`mark.${Boolean(r.smart_mark)}`) }),
  updated: () => ({ label: t("col.updated"), sub: t("app.tz"), fold: 2, render: (r) => timeEl(r.updated_at) }),
  card_no: () => ({ label: t("col.card_no"), fold: 3, render: (r) => r.card_no || r.created_by || t("app.none") }),
  tax_status: () => ({ label: t("col.tax_status"), render: (r) => tOr(`tax.${r.tax_status}`, r.tax_status || t("app.none")) }),
  smart_status: () => ({ label: t("col.smart_status"), wrap: true, render: (r) => smartStatus(r) }),
};

export function smartStatus(r) {
  const status = tOr(`smart.${r.smart_status}`, r.smart_status_label || r.smart_status);
  if (r.smart_status === "pending" && r.waiting_reason) {
    return t("query.waiting", { status, reason: tOr(`wait.${r.waiting_reason}`, r.waiting_reason) });
  }
  if (r.smart_status === "failed" && r.reason_zh) {
    return h("span", {}, status, h("small", { class: "reason" }, document.documentElement.lang === "en" ? r.reason_en : r.reason_zh));
  }
  return status;
}

export { checkbox };
