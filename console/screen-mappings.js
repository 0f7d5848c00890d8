// 列映射: how a customer's goods list (its own Excel layout) is read. The enterprise's mappings, a new
// one as JSON (legal-person card), and a goods list imported through one (POST /declarations/import?mapping=).
import { del, get, post, request } from "./api.js";
import { currentSession } from "./auth.js";
import { t } from "./i18n.js";
import { append, clear, confirmDialog, copyable, field, h, showError, table, toast } from "./ui.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
// a starting point for the JSON: the fields are the field table's (GET /declaration-fields)
const EXAMPLE = {
  name: "", sheet: "Sheet1", header_row: 1,
  columns: [{ field: "goods[].code_ts", header: "HS CODE" }, { field: "goods[].g_name", column: "B" }],
  defaults: { ie_flag: "I", "goods[].destination_country": "CHN" },
};

export async function render(main) {
  const legal = currentSession()?.claims.role === "legal";
  const list = h("div", {});
  const result = h("div", { class: "import-result", "aria-live": "polite" });
  const text = h("textarea", { rows: 12, cols: 80, spellcheck: "false", required: true }, JSON.stringify(EXAMPLE, null, 2));
  const form = h("form", { class: "mapping", "aria-labelledby": "mapping-new" },
    h("h2", { id: "mapping-new" }, t("mappings.add")),
    field(t("mappings.json"), text, t("mappings.json_hint")),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("mappings.add"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let body;
    try {
      body = JSON.parse(text.value);
    } catch {
      return showError(new Error(t("import.bad_json")));
    }
    try {
      await post("/column-mappings", body);
      toast(t("mappings.created"));
      await load();
    } catch (err) {
      showError(err);
    }
  });
  append(main, h("h1", {}, t("mappings.title")), h("p", { class: "tip" }, t("mappings.tip")), list, result,
    legal ? form : h("p", { class: "note" }, t("mappings.legal_only")));

  async function load() {
    const { items } = await get("/column-mappings");
    const columns = [
      { label: t("mappings.name"), key: "name", keep: true },
      { label: t("mappings.sheet"), render: (m) => m.sheet || t("mappings.first_sheet") },
      { label: t("mappings.header_row"), key: "header_row" },
      { label: t("mappings.columns"), render: (m) => m.columns.map((c) => `${c.field} ← ${c.column || c.header}`).join("；") },
      { label: t("mappings.id"), render: (m) => copyable(m.mapping_id, t("mappings.id")) },
      { label: t("col.actions"), keep: true, render: (m) => h("span", { class: "actions" },
        upload(m), legal ? h("button", { type: "button", class: "danger", onclick: () => remove(m) }, t("mappings.delete")) : null) },
    ];
    append(clear(list), table(t("mappings.title"), columns, items, { empty: t("mappings.empty") }));
  }

  function upload(m) {
    const input = h("input", { type: "file", accept: ".xlsx", "aria-label": t("mappings.import", { name: m.name }) });
    input.addEventListener("change", async () => {
      const chosen = input.files[0];
      if (!chosen) return;
      try {
        const answer = await request("POST", "/declarations/import", {
          query: { mapping: m.mapping_id, smart_mark: "false" }, raw: await chosen.arrayBuffer(), contentType: XLSX,
        });
        const lang = document.documentElement.lang === "en" ? "en" : "zh";
        append(clear(result),
          h("p", { role: "status" }, t("import.result", { accepted: answer.accepted.length, rejected: answer.rejected.length })),
          h("ul", { class: "accepted" }, answer.accepted.map((seq) => h("li", {}, "✔ ", copyable(seq, t("col.number"), `#/declarations/${seq}`)))),
          h("ul", { class: "rejected" }, answer.rejected.map((r) => h("li", {},
            h("strong", {}, `✘ ${t("import.rejected", { index: r.index + 1, seq_no: r.source || "" })}`),
            h("ul", { class: "errors" }, r.errors.map((er) => h("li", {}, lang === "en" ? er.message_en : er.message_zh)))))),
          // goods that differ from their part in the parts library (归类)
          answer.advisories?.length ? h("ul", { class: "warn", "aria-label": t("parts.differs") },
            answer.advisories.map((a) => h("li", {}, `${a.seq_no} `, lang === "en" ? a.message_en : a.message_zh))) : null);
      } catch (err) {
        clear(result);
        showError(err);
      } finally {
        input.value = "";
      }
    });
    return h("label", { class: "button" }, t("mappings.import", { name: m.name }), input);
  }

  async function remove(m) {
    if (!(await confirmDialog(t("mappings.delete_confirm", { name: m.name })))) return;
    try {
      await del(`/column-mappings/${m.mapping_id}`);
      await load();
    } catch (err) {
      showError(err);
    }
  }

  try {
    await load();
  } catch (err) {
    showError(err);
  }
}
