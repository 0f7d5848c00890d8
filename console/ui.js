// Small DOM helpers: elements, dialogs, tables, copyable numbers, China time.
import { t } from "./i18n.js";

/** h("button", {class: "primary", onclick}, "text", child…) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** el.append(…children) without writing a missing part as the text "null" or "undefined". */
export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let uid = 0;
export function nextId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled field: <label for> + control, so every control has an accessible name. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = nextId();
  const hintEl = hint ? h("small", { id: `${control.id}-hint`, class: "hint" }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control, hintEl);
}

export function checkbox(labelText, attrs = {}, hint) {
  const box = h("input", { type: "checkbox", id: nextId("c"), ...attrs });
  const hintEl = hint ? h("small", { id: `${box.id}-hint`, class: "hint" }, hint) : null;
  if (hintEl) box.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "check" }, box, h("label", { for: box.id }, labelText), hintEl);
}

/** options: [[value, text], …] */
export function select(options, attrs = {}) {
  return h("select", attrs, options.map(([value, text]) => h("option", { value }, text)));
}

const zoneFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

/** "2026-12-01 03:35:04" in China time (UTC+8), whatever the browser's zone. */
export function chinaTime(iso) {
  if (!iso) return t("app.none");
  const parts = Object.fromEntries(zoneFormat.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** "2026-12-01T03:35:04+08:00": the instant in China time with its zone, as a machine reads it. */
export function chinaIso(iso) {
  return iso ? `${chinaTime(iso).replace(" ", "T")}+08:00` : null;
}

/** A <time> element showing China time (with the zone if asked), its datetime attribute the same
 * instant in ISO 8601 with +08:00 for what reads the page (tests, screen readers, copy-paste). */
export function timeEl(iso, { zone = false } = {}) {
  if (!iso) return t("app.none");
  return h("time", { datetime: chinaIso(iso), title: t("app.tz") }, chinaTime(iso), zone ? h("span", { class: "tz" }, " UTC+8") : null);
}

/** Today's date in China, "YYYY-MM-DD". */
export function chinaDate(date = new Date()) {
  return chinaTime(date.toISOString()).slice(0, 10);
}

/** A number people copy into other systems (seq_no, entry_id, batch number), with a copy button. */
export function copyable(value, what, href = null) {
  if (!value) return t("app.none");
  const button = h("button", {
    type: "button", class: "copy", "aria-label": t("app.copy_of", { what: `${what} ${value}` }), title: t("app.copy"),
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
      } catch {
        const range = document.createRange();
        range.selectNodeContents(code);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
      toast(t("app.copied"));
    },
  }, t("app.copy"));
  const code = href ? h("a", { class: "mono", href }, value) : h("span", { class: "mono" }, value);
  return h("span", { class: "copyable" }, code, button);
}

/**
 * A table with a caption that fits its box. columns: [{key, label, sub, render(row), keep, fold, wrap}]
 * (`sub`: a second line of the heading, such as the time zone; `wrap`: names that may take two lines).
 * `keep` columns (the key, the state, the result, the actions) always show; the others fold away,
 * highest `fold` first (then the rightmost), while the table is wider than its box, and show in each
 * row's detail (展开) instead. A column chooser (列设置) shows or hides any foldable column for good
 * (kept in localStorage per table). Re-fitted when the box changes size.
 */
export function table(caption, columns, rows, { empty, id } = {}) {
  const key = `smartdecl.cols.${id || caption}`;
  const pinned = JSON.parse(localStorage.getItem(key) || "{}"); // column index → true (show) | false (hide)
  const foldable = columns.map((c, i) => (c.keep ? null : i)).filter((i) => i !== null);
  const order = [...foldable].sort((a, b) => (columns[b].fold ?? 1) - (columns[a].fold ?? 1) || b - a); // folds first
  const detailId = nextId("row");
  const cell = (c, row) => (c.render ? c.render(row) : (row[c.key] ?? t("app.none")));
  const more = { label: t("table.detail"), more: true };
  const all = foldable.length ? [...columns, more] : columns;
  const body = [];
  rows.forEach((row, r) => {
    const detail = h("tr", { class: "detail", id: `${detailId}-${r}`, hidden: true },
      h("td", { colspan: all.length }, h("dl", { class: "facts" }, foldable.map((i) => [
        h("dt", { "data-col": i }, columns[i].label, columns[i].sub ? ` (${columns[i].sub})` : null),
        h("dd", { "data-col": i }, cell(columns[i], row))]))));
    const toggle = (e) => {
      const open = detail.hidden;
      detail.hidden = !open;
      e.currentTarget.setAttribute("aria-expanded", String(open));
      e.currentTarget.textContent = t(open ? "table.less" : "table.more");
    };
    body.push(h("tr", row.__attrs || {}, all.map((c, i) => h("td", { "data-col": c.more ? "more" : i, class: c.wrap ? "wrap" : null },
      c.more ? h("button", { type: "button", class: "small", "aria-expanded": "false", "aria-controls": detail.id,
        "aria-label": `${t("table.more")} ${row.seq_no || row.name || row.batch_no || r + 1}`, onclick: toggle }, t("table.more"))
        : cell(c, row)))), detail);
  });
  const tableEl = h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, all.map((c, i) => h("th", { scope: "col", "data-col": c.more ? "more" : i, "data-keep": c.keep ? "" : null },
      c.label, c.sub ? [h("br"), h("small", { class: "sub" }, c.sub)] : null)))),
    h("tbody", {}, rows.length === 0
      ? h("tr", {}, h("td", { colspan: all.length, class: "empty" }, empty || t("paging.empty")))
      : body));
  const wrap = h("div", { class: "table-wrap" }, tableEl);
  const boxes = new Map(); // the column chooser's ticks: ticked = shown
  const show = (i, visible) => {
    for (const el of tableEl.querySelectorAll(`th[data-col="${i}"], tbody > tr:not(.detail) > td[data-col="${i}"]`)) el.hidden = !visible;
    for (const el of tableEl.querySelectorAll(`tr.detail [data-col="${i}"]`)) el.hidden = visible;
  };
  function fit() {
    if (!wrap.isConnected || wrap.clientWidth === 0) return;
    const folded = [];
    const moreCells = tableEl.querySelectorAll('[data-col="more"]');
    for (const el of moreCells) el.hidden = rows.length === 0; // measured with it: it shows when something folds
    for (const i of foldable) show(i, pinned[i] !== false);
    for (const i of order) {
      if (wrap.scrollWidth <= wrap.clientWidth + 1) break;
      if (pinned[i] === true) continue; // the clerk asked for it: it stays, even if the box scrolls
      show(i, false);
    }
    for (const i of foldable) if (tableEl.querySelector(`th[data-col="${i}"]`)?.hidden) folded.push(i);
    for (const el of moreCells) el.hidden = folded.length === 0 || rows.length === 0;
    for (const tr of tableEl.querySelectorAll("tr.detail")) if (folded.length === 0) tr.hidden = true;
    wrap.dataset.folded = String(folded.length);
    for (const [i, box] of boxes) box.checked = !folded.includes(i) && pinned[i] !== false;
  }
  new ResizeObserver(() => fit()).observe(wrap);
  if (foldable.length === 0) return wrap;
  const chooser = h("details", { class: "columns" }, h("summary", {}, t("table.columns")),
    h("div", { class: "column-ticks" }, foldable.map((i) => {
      const box = checkbox(typeof columns[i].label === "string" ? columns[i].label : t("table.column", { n: i + 1 }), {
        checked: pinned[i] !== false,
        onchange: (e) => {
          pinned[i] = e.target.checked; // shown for good (even if the box then scrolls), or hidden
          localStorage.setItem(key, JSON.stringify(pinned));
          fit();
        },
      });
      boxes.set(i, box.querySelector("input"));
      return box;
    })));
  return h("div", { class: "fitted" }, chooser, wrap);
}

export function toast(text, kind = "info") {
  const region = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}` }, text);
  region.append(item);
  setTimeout(() => item.remove(), 6000);
}

/** A modal dialog; resolves true when confirmed. The seed's screens ask before every change. */
export function confirmDialog(text, { confirm = t("app.ok"), cancel = t("app.cancel"), body = null } = {}) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title" },
      h("h2", { id: "dialog-title" }, t("app.prompt")),
      h("p", {}, text), body,
      h("div", { class: "actions" },
        cancel ? h("button", { type: "button", onclick: () => close(false) }, cancel) : null,
        h("button", { type: "button", class: "primary", onclick: () => close(true) }, confirm)));
    function close(result) {
      dialog.close();
      dialog.remove();
      resolve(result);
    }
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button.primary").focus();
  });
}

export function alertDialog(text, body = null) {
  return confirmDialog(text, { cancel: null, body });
}

/** An error from the API (or the network), shown in the current language. */
export function showError(err) {
  // 401: the session ended and the sign-in page already shows; a screen still loading says nothing
  if (err?.status === 401) return Promise.resolve(false);
  const text = err?.text || err?.message || t("app.error");
  const details = Array.isArray(err?.body?.details)
    ? h("ul", { class: "errors" }, err.body.details.map((d) => h("li", {}, fieldMessage(d))))
    : null;
  return alertDialog(text, details);
}

export function fieldMessage(d) {
  if (!d || typeof d !== "object") return String(d);
  const text = document.documentElement.lang === "en" ? d.message_en : d.message_zh;
  // "(record)" and "(body)" name the whole request, not a field a person could find on the form
  return d.field && !d.field.startsWith("(") ? `${d.field}: ${text}` : text;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}
