// 录入: one declaration entered by hand (head, goods, containers, documents) and temp-saved (暂存),
// with or without the smart mark. The form is built from the field table (GET /declaration-fields:
// its groups, labels, code tables and what is required) and the API's own schema of a declaration
// (GET /openapi.json: which fields are whole numbers or flags), so it grows with the model. It is
// saved as an import of one record (POST /declarations): the same validation, each refusal shown
// beside its field.
import { get, post } from "./api.js";
import { currentSession } from "./auth.js";
import * as codes from "./codes.js";
import { getLang, t, tOr } from "./i18n.js";
import { append, checkbox, clear, h, nextId, showError, toast } from "./ui.js";

const ASSIGNED = new Set(["seq_no"]); // the service assigns 统一编号 on 暂存
const SELECT_AT_MOST = 40; // a longer code table is typed, with its names offered as the clerk types

let schema = null; // the API's JSON schema of a declaration, read once

async function declarationSchema() {
  if (!schema) {
    const doc = await get("/openapi.json");
    const all = doc.components.schemas;
    schema = { all, root: all.DeclarationContent || all["DeclarationContent-Input"] };
  }
  return schema;
}

/** The JSON schema type of a field path ("goods[].g_no" → "integer"), resolving $ref, anyOf and items. */
function typeOf(s, path) {
  const resolve = (node) => {
    let n = node;
    for (let i = 0; i < 5 && n; i += 1) {
      if (n.$ref) n = s.all[n.$ref.split("/").pop()];
      else if (n.anyOf) n = n.anyOf.find((x) => x.type !== "null") || n.anyOf[0];
      else break;
    }
    return n;
  };
  let node = s.root;
  for (const part of path.split(".")) {
    const list = part.endsWith("[]");
    node = resolve(resolve(node)?.properties?.[list ? part.slice(0, -2) : part]);
    if (list) node = resolve(node?.items);
  }
  return resolve(node)?.type || "string";
}

export async function render(main) {
  const [{ groups, fields }] = await Promise.all([codes.fields(), declarationSchema()]);
  await codes.load(...fields.filter((f) => f.code_table).map((f) => f.path));
  const lang = getLang();
  const labelOf = (f) => (lang === "en" ? f.label_en : f.label_zh);
  const session = currentSession()?.claims || {};
  const defaults = { ie_flag: "I", declaration_type: "general", "agent.code": session.ent_code, "agent.uscc": session.ent_uscc };
  const summary = h("div", { class: "errors-summary", role: "alert" });

  /** One input for one field; `key` is the concrete path an error names ("goods[0].code_ts"). */
  function control(f, key, value) {
    const type = typeOf(schema, f.path);
    const leaf = f.path.replace(/^\w+\[\]\./, "");
    const attrs = { "data-path": key, "data-type": type, name: key, required: f.required };
    let input;
    if (type === "boolean") {
      const box = checkbox(labelOf(f), { ...attrs, checked: Boolean(value) });
      return h("div", { class: "field check-field" }, box);
    }
    if (leaf === "ie_flag") input = h("select", attrs, ["I", "E"].map((v) => h("option", { value: v, selected: value === v }, t(`ie.${v}`))));
    else if (leaf === "declaration_type") {
      input = h("select", attrs, ["general", "with_list", "paperless", "list_paperless", "paperless_clearance"]
        .map((v) => h("option", { value: v, selected: value === v }, t(`dtype.${v}`))));
    } else if (f.code_table && codes.options(f.path).length <= SELECT_AT_MOST) {
      input = h("select", attrs, h("option", { value: "" }, t("entry.choose")),
        codes.options(f.path).map(([code, text]) => h("option", { value: code, selected: value === code }, text)));
    } else {
      const listId = f.code_table ? `codes-${f.code_table}` : null;
      input = h("input", { ...attrs, value: value ?? "", list: listId, autocomplete: "off",
        type: leaf.endsWith("_date") ? "date" : "text", inputmode: type === "integer" ? "numeric" : null });
    }
    input.id = nextId("e");
    const hint = h("small", { class: "field-error", id: `${input.id}-error` });
    input.setAttribute("aria-describedby", hint.id);
    return h("div", { class: `field${f.required ? " required" : ""}` },
      h("label", { for: input.id }, labelOf(f)), input, hint);
  }

  // A group holds head fields and lists ("goods", "other_packs"), and a list may sit in another's items
  // ("goods[].licences": a goods item's licences): those are entered inside each goods item.
  const nested = (list) => list.includes("[]");
  const head = groups.map((g) => {
    const mine = fields.filter((f) => f.group === g.key && !ASSIGNED.has(f.path));
    const title = lang === "en" ? g.label_en : g.label_zh;
    const parts = [...new Set(mine.map((f) => listOf(f.path)))];
    const blocks = parts.filter((list) => !nested(list)).map((list) => (list === ""
      ? h("div", { class: "grid" }, mine.filter((f) => listOf(f.path) === "").map((f) => control(f, f.path, defaults[f.path])))
      : listPart(() => list, partTitle(list, title, parts), mine.filter((f) => listOf(f.path) === list), parts.length > 1)));
    const parents = [...new Set(parts.filter(nested).map((list) => list.split("[]")[0]))]; // a licence's vehicles too
    const within = parents.map((parent) => h("p", { class: "note" }, t("entry.within", { what: title, parent: groupTitle(parent) })));
    return h("fieldset", { "data-group": g.key }, h("legend", {}, title), blocks, within);
  });

  /** A list's title: its group's, or its own where the group also has head fields or other lists. */
  function partTitle(list, title, parts) {
    return parts.length > 1 ? tOr(`entry.list.${list.split(".").pop().replace("[]", "")}`, title) : title;
  }

  function groupTitle(list) {
    const f = fields.find((x) => listOf(x.path) === list);
    const g = groups.find((x) => x.key === f?.group);
    return g ? (lang === "en" ? g.label_en : g.label_zh) : list;
  }

  /** A repeated part: one block of fields per item, 添加 and 删除. Goods start with one, numbered. */
  function listPart(prefix, title, mine, titled = true) {
    const items = h("div", { class: "items" });
    const list = listOf(mine[0].path); // "goods", "goods[].licences"
    const name = list.split(".").pop();
    const inner = [...new Set(fields.map((f) => listOf(f.path)).filter((l) => l.startsWith(`${list}[].`) && !l.slice(list.length + 3).includes("[]")))];
    const add = () => {
      const n = items.children.length;
      const block = h("fieldset", { class: "item", "data-index": n }, h("legend", {}, t("entry.item", { what: title, n: n + 1 })),
        h("div", { class: "grid" }, mine.map((f) => {
          const leaf = f.path.slice(list.length + 3);
          return control(f, `${prefix()}[${n}].${leaf}`, name === "goods" && leaf === "g_no" ? String(n + 1) : null);
        })),
        inner.map((sub) => listPart(() => `${prefix()}[${block.dataset.index}].${sub.split(".").pop()}`,
          groupTitle(sub), fields.filter((f) => listOf(f.path) === sub && !ASSIGNED.has(f.path)))),
        h("button", { type: "button", class: "small danger", onclick: () => { block.remove(); renumber(); } }, t("entry.remove_item", { what: title })));
      append(items, block);
    };
    // after a removal the items are numbered again: their own index in every path under them
    const at = new RegExp(`(^|\\.)${name}\\[\\d+\\]`);
    const renumber = () => [...items.children].forEach((block, n) => {
      block.dataset.index = String(n);
      block.querySelector("legend").textContent = t("entry.item", { what: title, n: n + 1 });
      for (const el of block.querySelectorAll("[data-path]")) {
        const key = el.dataset.path.replace(at, `$1${name}[${n}]`);
        el.dataset.path = key;
        el.name = key;
      }
    });
    if (name === "goods") add();
    // a list alone in its group goes under the group's legend; beside other parts, under its own
    return h(titled ? "fieldset" : "div", { class: "list-part", "data-list": list }, titled ? h("legend", {}, title) : null, items,
      h("button", { type: "button", onclick: add }, t("entry.add_item", { what: title })));
  }

  const mark = checkbox(t("entry.smart_mark"), { name: "smart_mark", checked: true });
  const form = h("form", { class: "entry-form", "aria-labelledby": "entry-title", novalidate: true },
    summary, head, mark,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("entry.save")),
      h("a", { class: "button", href: "#/marking" }, t("app.cancel"))));
  for (const table of new Set(fields.filter((f) => f.code_table && codes.options(f.path).length > SELECT_AT_MOST).map((f) => f.code_table))) {
    const path = fields.find((f) => f.code_table === table).path;
    append(form, h("datalist", { id: `codes-${table}` }, codes.options(path).map(([code, text]) => h("option", { value: code }, text))));
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(summary);
    for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    try {
      const answer = await post("/declarations", { declarations: [bodyOf(form)], smart_mark: form.elements.smart_mark.checked });
      if (answer.accepted.length) {
        toast(t("entry.saved", { seq_no: answer.accepted[0] }));
        location.hash = `#/declarations/${answer.accepted[0]}`;
        return;
      }
      refused(answer.rejected[0]?.errors || []);
    } catch (err) {
      showError(err);
    }
  });

  /** Each refusal beside its field (and all of them on top, where a screen reader hears them). */
  function refused(errors) {
    // the API's message names the field and its path for integrators; a clerk reads the label
    const message = (x) => (lang === "en" ? x.message_en : x.message_zh).replace(`(${x.field})`, "").replace(x.field, "").trim();
    append(summary, h("p", {}, t("entry.refused", { count: errors.length })),
      h("ul", { class: "errors" }, errors.map((x) => {
        const input = form.querySelector(`[data-path="${CSS.escape(x.field)}"]`);
        if (input) {
          input.setAttribute("aria-invalid", "true");
          const hint = document.getElementById(input.getAttribute("aria-describedby") || "");
          if (hint) hint.textContent = message(x);
        }
        const where = input ? (input.labels?.[0]?.textContent || x.field) : x.field;
        return h("li", {}, input ? h("a", { href: `#${input.id}`, onclick: (ev) => { ev.preventDefault(); input.focus(); } }, where) : where,
          "：", message(x));
      })));
    summary.scrollIntoView();
  }

  append(main,
    h("h1", { id: "entry-title" }, t("entry.title")),
    h("p", { class: "tip" }, t("entry.tip")),
    form);
}

/** The form as the API's JSON: nested paths, whole numbers and flags typed, empty fields and items left out. */
function bodyOf(form) {
  const body = {};
  for (const el of form.querySelectorAll("[data-path]")) {
    const type = el.dataset.type;
    let value;
    if (el.type === "checkbox") value = el.checked;
    else {
      value = el.value.trim();
      if (value === "") continue;
      if (type === "integer" && /^\d+$/.test(value)) value = Number(value);
    }
    put(body, el.dataset.path, value);
  }
  return pruned(body);
}

/** Lists without their empty items (every field left empty, flags unticked). */
function pruned(node) {
  const empty = (x) => x && typeof x === "object" && !Array.isArray(x) && Object.values(x).every((v) => v === false || (Array.isArray(v) && v.length === 0));
  if (Array.isArray(node)) return node.map(pruned).filter((x) => x !== undefined && !empty(x));
  if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, pruned(value)]));
  return node;
}

/** "goods[].licences[].licence_no" → "goods[].licences"; "" for the head. */
function listOf(path) {
  const at = path.lastIndexOf("[].");
  return at < 0 ? "" : path.slice(0, at);
}

function put(body, path, value) {
  const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
  let node = body;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    const key = /^\d+$/.test(part) ? Number(part) : part;
    if (last) node[key] = value;
    else {
      if (node[key] === undefined) node[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
      node = node[key];
    }
  });
}

