// 智能申报标记: every filter, quick ranges, paging with the total, select many, add / cancel the
// mark with the seed's messages; import a workbook, DecMessage XML or JSON with each record's result.
import { post, request } from "./api.js";
import { msg, t } from "./i18n.js";
import { col, keep, listing } from "./listing.js";
import { alertDialog, append, checkbox, clear, confirmDialog, copyable, field, h, showError } from "./ui.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export async function render(main) {
  const list = listing({
    caption: t("marking.title"),
    filters: ["declaration_type", "enterprise_type", "ie_flag", "declare_customs", "smart_mark", "status", "number",
      "consignee", "bill_no", "transport_mode", "card_no"],
    selectable: true,
    columns: () => [col.number(), col.bill_no(), col.declare_customs(), col.ie_flag(), col.consignee(), keep(col.status()),
      col.transport_mode(), keep(col.smart_mark()), col.updated(), col.card_no()],
  });

  async function change(kind) {
    const seqNos = list.selected();
    if (seqNos.length === 0) return alertDialog(t("marking.none_selected"));
    if (!(await confirmDialog(t(kind === "mark" ? "marking.add_confirm" : "marking.cancel_confirm")))) return;
    try {
      const result = await post(`/declarations/${kind}`, { seq_nos: seqNos });
      // the API words the outcome as the seed does: 添加智能申报成功 / 本次成功取消标记 N 条 / 请求参数均不符合取消条件…
      const refused = result.refused?.length
        ? h("ul", { class: "errors" }, result.refused.map((r) => h("li", {}, t("marking.refused", { seq_no: r.seq_no, message: msg(r) }))))
        : null;
      await alertDialog(msg(result), refused);
    } catch (err) {
      await showError(err);
    }
    await list.search();
  }

  append(main, 
    h("h1", {}, t("marking.title")),
    h("p", { class: "tip" }, t("marking.hint")),
    list.root,
    h("div", { class: "row" },
      h("button", { type: "button", class: "primary", onclick: () => change("mark") }, t("marking.add")),
      h("button", { type: "button", onclick: () => change("unmark") }, t("marking.cancel"))),
    importPanel(() => list.search()));
  await list.search();
}

function importPanel(after) {
  const file = h("input", { type: "file", accept: ".xlsx,.xml,.json,application/json,application/xml,text/xml," + XLSX });
  const mark = checkbox(t("import.smart_mark"), { name: "smart_mark" });
  const result = h("div", { class: "import-result", "aria-live": "polite" });
  const form = h("form", { class: "import", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, t("import.title")),
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
    h("ul", { class: "accepted" }, answer.accepted.map((seq) => h("li", {}, "✔ ", copyable(seq, t("col.number"))))),
    h("ul", { class: "rejected" }, answer.rejected.map((r) => h("li", {},
      h("strong", {}, `✘ ${t("import.rejected", { index: r.index + 1, seq_no: r.seq_no || r.source || "" })}`),
      h("ul", { class: "errors" }, r.errors.map((e) => h("li", {}, h("code", {}, e.field), " ", lang === "en" ? e.message_en : e.message_zh)))))));
}
