// 智能申报标记: every filter, quick ranges, paging with the total, select many, add / cancel the
// mark with the seed's messages; import a workbook, DecMessage XML or JSON with each record's result.
import { post, request } from "./api.js";
import { msg, t } from "./i18n.js";
import * as codes from "./codes.js";
import { col, keep, listing, LIST_CODES } from "./listing.js";
import { alertDialog, append, checkbox, clear, confirmDialog, copyable, field, h, showError } from "./ui.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
// the seed's marking screen opens on 一般报关单, 报关申报单位, 进口, 暂存 (and 本月)
export const SEED_DEFAULTS = { declaration_type: "general", enterprise_type: "agent", ie_flag: "I", status: "temp_saved" };

export async function render(main) {
  await codes.load(...LIST_CODES);
  const list = listing({
    caption: t("marking.title"),
    filters: ["declaration_type", "enterprise_type", "ie_flag", "declare_customs", "smart_mark", "status", "number",
      "consignee", "bill_no", "transport_mode", "card_no"],
    selectable: true,
    initial: SEED_DEFAULTS,
    columns: () => [col.number(), col.bill_no(), col.declare_customs(), col.ie_flag(), col.consignee(), keep(col.status()),
      col.transport_mode(), keep(col.smart_mark()), col.updated(), col.card_no()],
  });

  async function change(kind) {
    const seqNos = list.selected();
    if (seqNos.length === 0) return alertDialog(t("marking.none_selected"));
    if (!(await confirmDialog(t(kind === "mark" ? "marking.add_confirm" : "marking.cancel_confirm")))) return;
    try {
      const result = await post(`/declarations/${kind}`, { seq_nos: seqNos });
      // the API words a cancel as the seed does (本次成功取消标记 N 条 / 请求参数均不符合取消条件…); an add
      // the seed answers 添加智能申报成功!, and the count follows it (marking.added_count)
      const refused = result.refused?.length
        ? h("ul", { class: "errors" }, result.refused.map((r) => h("li", {}, t("marking.refused", { seq_no: r.seq_no, message: msg(r) }))))
        : null;
      const said = kind === "mark" && result.marked > 0 ? t("marking.added") : msg(result);
      const count = kind === "mark" && result.marked > 0 ? h("p", {}, t("marking.added_count", { count: result.marked })) : null;
      await alertDialog(said, h("div", {}, count, refused));
    } catch (err) {
      await showError(err);
    }
    await list.search();
  }

  // the seed's layout: the query, then the add and cancel buttons above the list
  list.root.insertBefore(h("div", { class: "row" },
    h("button", { type: "button", class: "primary", onclick: () => change("mark") }, t("marking.add")),
    h("button", { type: "button", onclick: () => change("unmark") }, t("marking.cancel"))), list.root.children[1]);
  append(main,
    h("h1", {}, t("marking.title"), h("small", { class: "hint" }, t("marking.hint"))),
    list.root,
    h("p", { class: "note" }, t("marking.cancel_rule")),
    importPanel(() => list.search()));
  await list.search();
}

function importPanel(after) {
  const file = h("input", { type: "file", accept: ".xlsx,.xml,.json,application/json,application/xml,text/xml," + XLSX });
  const mark = checkbox(t("import.smart_mark"), { name: "smart_mark" });
  const result = h("div", { class: "import-result", "aria-live": "polite" });
  const form = h("form", { class: "import", "aria-labelledby": "import-title" },
    h("div", { class: "title-row" }, h("h2", { id: "import-title" }, t("import.title")),
      h("a", { class: "button", href: "#/entry" }, t("marking.entry"))),
    field(t("import.file"), file), mark,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("import.submit"))), result);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    const smartMark = form.elements.smart_mark.checked;
    const name = chosen.name.toLowerCase();
    try {
      let answer;
      if (name.endsWith(".json")) {
        let parsed;
        try {
          parsed = JSON.parse(await chosen.text());
        } catch {
          return alertDialog(t("import.bad_json"));
        }
        const declarations = Array.isArray(parsed) ? parsed : (parsed.declarations || [parsed]);
        answer = await post("/declarations", { declarations, smart_mark: smartMark });
      } else if (name.endsWith(".xlsx") || name.endsWith(".xml")) {
        answer = await request("POST", "/declarations/import", {
          query: { smart_mark: String(smartMark) }, raw: await chosen.arrayBuffer(),
          contentType: name.endsWith(".xlsx") ? XLSX : "application/xml",
        });
      } else {
        return alertDialog(t("import.bad_type"));
      }
      showResult(result, answer);
      after();
    } catch (err) {
      clear(result);
      showError(err);
    }
  });
  return form;
}

function showResult(el, answer) {
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  append(clear(el),
    h("p", { role: "status" }, t("import.result", { accepted: answer.accepted.length, rejected: answer.rejected.length })),
    h("ul", { class: "accepted" }, answer.accepted.map((seq) => h("li", {}, "✔ ", copyable(seq, t("col.number"), `#/declarations/${seq}`)))),
    h("ul", { class: "rejected" }, answer.rejected.map((r) => h("li", {},
      h("strong", {}, `✘ ${t("import.rejected", { index: r.index + 1, seq_no: r.seq_no || r.source || "" })}`),
      h("ul", { class: "errors" }, r.errors.map((e) => h("li", {}, h("code", {}, e.field), " ", lang === "en" ? e.message_en : e.message_zh)))))));
}
