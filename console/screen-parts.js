// 归类 (the parts library): each part number's HS code, names, 规格型号 and units, with its status and
// history. Any card proposes a part (by hand, or from the declarations that named it); the legal-person
// card approves or refuses a proposal. Imports fill goods from the approved parts.
import { get, post } from "./api.js";
import { currentSession } from "./auth.js";
import { t } from "./i18n.js";
import { append, clear, field, h, select, showError, table, timeEl, toast } from "./ui.js";

const FIELDS = ["part_no", "code_ts", "g_name", "g_model", "unit", "first_unit", "second_unit"];

export async function render(main) {
  const legal = currentSession()?.claims.role === "legal";
  const list = h("div", {});
  const detail = h("section", { "aria-live": "polite" });
  const status = select(["", "proposed", "approved", "refused"].map((s) => [s, s ? t(`parts.status.${s}`) : t("filter.all")]));
  status.addEventListener("change", () => load());
  const inputs = Object.fromEntries(FIELDS.map((name) => [name, h("input", { name, autocomplete: "off",
    required: ["part_no", "code_ts", "g_name"].includes(name) || null })]));
  const form = h("form", { class: "part", "aria-labelledby": "part-new" },
    h("h2", { id: "part-new" }, t("parts.propose")),
    FIELDS.map((name) => field(t(`parts.field.${name}`), inputs[name])),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, t("parts.propose")),
      h("button", { type: "button", onclick: () => fromDeclarations() }, t("parts.from_declarations"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(FIELDS.map((n) => [n, inputs[n].value.trim()]).filter(([, v]) => v));
    try {
      await post("/parts", body);
      toast(t("parts.proposed"));
      form.reset();
      await load();
    } catch (err) {
      showError(err);
    }
  });
  append(main, h("h1", {}, t("parts.title")), h("p", { class: "tip" }, t("parts.tip")),
    field(t("parts.col.status"), status), list, detail, form);

  async function fromDeclarations() {
    const partNo = inputs.part_no.value.trim();
    if (!partNo) return inputs.part_no.focus();
    try {
      await post(`/parts/${encodeURIComponent(partNo)}/propose`);
      toast(t("parts.proposed"));
      await load();
    } catch (err) {
      showError(err);
    }
  }

  async function decide(part, verb) {
    try {
      await post(`/parts/${encodeURIComponent(part.part_no)}/${verb}`, {});
      await load();
      await show(part.part_no);
    } catch (err) {
      showError(err);
    }
  }

  async function show(partNo) {
    const part = await get(`/parts/${encodeURIComponent(partNo)}`);
    const lang = document.documentElement.lang === "en" ? "en" : "zh";
    const columns = [
      { label: t("parts.col.at"), sub: t("app.tz"), keep: true, render: (e) => timeEl(e.at) },
      { label: t("parts.col.action"), keep: true, render: (e) => t(`parts.status.${e.action}`) },
      { label: t("parts.col.by"), key: "by" },
      { label: t("parts.col.note"), render: (e) => [e.note, e.source].filter(Boolean).join(" · ") || t("app.none") },
    ];
    append(clear(detail), h("h2", {}, `${t("parts.history")}：${part.part_no}`),
      part.advisories.length ? h("ul", { class: "warn" }, part.advisories.map((a) => h("li", {}, lang === "en" ? a.message_en : a.message_zh))) : null,
      table(t("parts.history"), columns, part.history, { empty: t("app.none") }));
  }

  async function load() {
    const { items } = await get("/parts", { status: status.value });
    const columns = [
      { label: t("parts.field.part_no"), keep: true, render: (p) => h("button", { type: "button", class: "link", onclick: () => show(p.part_no) }, p.part_no) },
      { label: t("parts.col.status"), keep: true, render: (p) => t(`parts.status.${p.status}`) },
      { label: t("parts.field.code_ts"), key: "code_ts" },
      { label: t("parts.field.g_name"), key: "g_name" },
      { label: t("parts.field.g_model"), render: (p) => p.g_model || t("app.none") },
      { label: t("parts.field.unit"), render: (p) => p.unit || t("app.none") },
      { label: t("col.actions"), keep: true, render: (p) => (legal && p.status === "proposed"
        ? h("span", { class: "actions" },
          h("button", { type: "button", class: "primary", onclick: () => decide(p, "approve") }, t("parts.approve")),
          h("button", { type: "button", class: "danger", onclick: () => decide(p, "refuse") }, t("parts.refuse")))
        : null) },
    ];
    append(clear(list), table(t("parts.title"), columns, items, { empty: t("parts.empty") }));
  }

  try {
    await load();
  } catch (err) {
    showError(err);
  }
}
