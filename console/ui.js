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

/** A <time> element showing China time with the zone, the instant in its datetime attribute. */
export function timeEl(iso, { zone = false } = {}) {
  if (!iso) return t("app.none");
  return h("time", { datetime: iso, title: t("app.tz") }, chinaTime(iso), zone ? h("span", { class: "tz" }, " UTC+8") : null);
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

/** A table with a caption; columns: [{key, label, render(row)}]. */
export function table(caption, columns, rows, { empty } = {}) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h("tbody", {}, rows.length === 0
        ? h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty || t("paging.empty")))
        : rows.map((row) => h("tr", row.__attrs || {}, columns.map((c) => h("td", {}, c.render ? c.render(row) : (row[c.key] ?? t("app.none")))))))));
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
  return d.field ? `${d.field}: ${text}` : text;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}
