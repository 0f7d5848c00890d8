// 智能申报配置: list, create, edit, enable/disable, delete (legal-person card writes; both read).
import { del, get, post, put } from "./api.js";
import { currentSession } from "./auth.js";
import { getLang, t, tRich } from "./i18n.js";
import { alertDialog, append, checkbox, chinaTime, clear, confirmDialog, field, fieldMessage, h, select, showError, table, timeEl, toast } from "./ui.js";

const RULES = ["auxiliary_confirm", "auto_agency_agreement", "require_manifest", "require_arrival", "compare_manifest"];

export async function render(main) {
  const legal = currentSession()?.claims.role === "legal";
  const list = h("div", {});
  const editor = h("section", { "aria-live": "polite" });
  // the seed's query of configs: name, import/export, enabled (every config is one page: filtered here)
  const byName = h("input", { name: "name", maxlength: 50, autocomplete: "off" });
  const byFlag = select([["", t("filter.all")], ["I", t("ie.I")], ["E", t("ie.E")]], { name: "ie_flag" });
  const byEnabled = select([["", t("filter.all")], ["true", t("configs.enabled.true")], ["false", t("configs.enabled.false")]], { name: "enabled" });
  const filters = h("form", { class: "filters", role: "search", "aria-label": t("configs.title") },
    h("div", { class: "grid" }, field(t("configs.name"), byName), field(t("configs.ie_flag"), byFlag), field(t("configs.enabled"), byEnabled)),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("filter.search")),
      h("button", { type: "reset" }, t("filter.reset"))));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch(showError);
  });
  filters.addEventListener("reset", () => setTimeout(() => load().catch(showError)));
  const commitment = h("a", { href: "#/configs", onclick: (e) => { e.preventDefault(); showCommitment(); } }, t("configs.commitment"));
  append(main,
    h("h1", {}, t("configs.title")),
    h("p", { class: "tip" }, tRich("configs.tip", { commitment })),
    filters,
    legal ? h("div", { class: "row" }, h("button", { type: "button", class: "primary", onclick: () => edit(null) }, t("configs.new")))
      : h("p", { class: "note" }, t("configs.legal_only")),
    list, editor);

  /** 企业承诺: the notice the enterprise accepted when it enabled the service, and who accepted it when. */
  async function showCommitment() {
    try {
      const state = await get("/enablement");
      const text = getLang() === "en" ? state.notice.text_en : state.notice.text_zh;
      await alertDialog(t("configs.commitment_title"), h("div", {},
        h("pre", { class: "notice", tabindex: "0" }, text),
        state.enabled ? h("p", {}, t("configs.commitment_by", { who: state.accepted_by, version: state.notice_version, at: chinaTime(state.accepted_at) })) : null));
    } catch (err) {
      showError(err);
    }
  }

  async function load() {
    const name = byName.value.trim();
    const items = (await get("/configs")).items.filter((c) => (!name || c.name.includes(name))
      && (!byFlag.value || c.ie_flag === byFlag.value) && (!byEnabled.value || String(c.enabled) === byEnabled.value));
    const columns = [
      { label: t("configs.name"), key: "name", keep: true },
      { label: t("configs.ie_flag"), render: (c) => t(`ie.${c.ie_flag}`) },
      { label: t("configs.enabled"), keep: true, render: (c) => t(`configs.enabled.${c.enabled}`) },
      { label: t("configs.section.effective"), render: (c) => t(`configs.effective_by.${c.effective_by}`) },
      { label: t("configs.agent"), wrap: true, render: (c) => party(c.agent) },
      { label: t("configs.consignee"), wrap: true, render: (c) => party(c.consignee) },
      { label: t("configs.col.rules"), wrap: true, render: (c) => RULES.filter((r) => c[r]).map((r) => t(`configs.${r}`)).join(t("app.list_sep")) || t("app.none") },
      { label: t("configs.batch_wait_seconds"), key: "batch_wait_seconds" },
      { label: t("configs.col.updated"), sub: t("app.tz"), render: (c) => timeEl(c.updated_at) },
    ];
    if (legal) {
      columns.push({ label: t("configs.col.actions"), keep: true, render: (c) => h("span", { class: "actions" },
        h("button", { type: "button", onclick: () => edit(c), "aria-label": `${t("configs.edit")} ${c.name}` }, t("configs.edit")),
        h("button", { type: "button", onclick: () => toggle(c), "aria-label": `${t(c.enabled ? "configs.disable" : "configs.enable")} ${c.name}` },
          t(c.enabled ? "configs.disable" : "configs.enable")),
        h("button", { type: "button", class: "danger", onclick: () => remove(c), "aria-label": `${t("configs.delete")} ${c.name}` }, t("configs.delete"))) });
    }
    append(clear(list), table(t("configs.title"), columns, items, { empty: t("configs.empty") }));
  }

  async function toggle(config) {
    try {
      await put(`/configs/${config.config_id}`, { ...bodyOf(config), enabled: !config.enabled });
      toast(t("configs.saved"));
      await load();
    } catch (err) {
      showError(err);
    }
  }

  async function remove(config) {
    if (!(await confirmDialog(t("configs.delete_confirm", { name: config.name })))) return;
    try {
      await del(`/configs/${config.config_id}`);
      toast(t("configs.deleted"));
      await load();
    } catch (err) {
      showError(err);
    }
  }

  function edit(config) {
    const c = config || { enabled: true, ie_flag: "I", effective_by: "enterprise", batch_wait_seconds: 60,
      agent: { code: currentSession()?.claims.ent_code, uscc: currentSession()?.claims.ent_uscc } };
    const input = (value, attrs = {}) => h("input", { value: value ?? "", autocomplete: "off", ...attrs });
    const name = input(c.name, { required: true, maxlength: 50 });
    const radios = (group, values, current, labelOf, hintOf) => h("div", { class: "radios" }, values.map((v) => {
      const id = `${group}-${v}`;
      const box = h("input", { type: "radio", name: group, id, value: v, checked: String(current) === String(v) });
      if (hintOf) box.setAttribute("aria-describedby", `${id}-hint`);
      return h("span", { class: "radio" }, box, h("label", { for: id }, labelOf(v)),
        hintOf ? h("small", { class: "hint", id: `${id}-hint` }, hintOf(v)) : null);
    }));
    const enabled = radios("enabled", ["true", "false"], c.enabled, (v) => t(`configs.enabled.${v}`));
    const ie = radios("ie_flag", ["I", "E"], c.ie_flag, (v) => t(`ie.${v}`));
    const by = radios("effective_by", ["enterprise", "user"], c.effective_by, (v) => t(`configs.effective_by.${v}`),
      (v) => t(`configs.effective_by.${v}_hint`));
    const partyInputs = (p) => ({ code: input(p?.code, { maxlength: 10 }), uscc: input(p?.uscc, { maxlength: 18 }), name: input(p?.name, { maxlength: 70 }) });
    const agent = partyInputs(c.agent);
    const consignee = partyInputs(c.consignee);
    const cards = input((c.operator_cards || []).join(","));
    const rules = Object.fromEntries(RULES.map((r) => [r, checkbox(t(`configs.${r}`), { name: r, checked: Boolean(c[r]) }, t(`configs.${r}_hint`))]));
    const wait = input(c.batch_wait_seconds, { type: "number", min: 5, max: 86400, required: true });
    const recheck = input(c.recheck_seconds ?? 300, { type: "number", min: 5, max: 86400, required: true });
    const error = h("p", { class: "error", role: "alert" });
    const partyFieldset = (legend, inputs) => h("fieldset", {}, h("legend", {}, legend),
      field(t("configs.party.code"), inputs.code), field(t("configs.party.uscc"), inputs.uscc), field(t("configs.party.name"), inputs.name));
    const form = h("form", { class: "config-form", "aria-label": config ? `${t("configs.edit")} ${c.name}` : t("configs.new") },
      h("h2", {}, config ? `${t("configs.edit")}：${c.name}` : t("configs.new")),
      h("fieldset", {}, h("legend", {}, t("configs.section.basic")),
        field(t("configs.name"), name),
        h("div", { class: "field", role: "radiogroup", "aria-label": t("configs.enabled") }, h("span", { class: "label" }, t("configs.enabled")), enabled),
        h("div", { class: "field", role: "radiogroup", "aria-label": t("configs.ie_flag") }, h("span", { class: "label" }, t("configs.ie_flag")), ie)),
      h("fieldset", {}, h("legend", {}, t("configs.section.effective")),
        h("div", { class: "field", role: "radiogroup", "aria-label": t("configs.section.effective") }, by),
        partyFieldset(t("configs.agent"), agent), partyFieldset(t("configs.consignee"), consignee),
        field(t("configs.operator_cards"), cards)),
      h("fieldset", {}, h("legend", {}, t("configs.section.content")), Object.values(rules),
        field(t("configs.batch_wait_seconds"), wait, t("configs.batch_wait_seconds_hint")),
        field(t("configs.recheck_seconds"), recheck, t("configs.recheck_seconds_hint"))),
      error,
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("configs.save")),
        h("button", { type: "button", onclick: () => clear(editor) }, t("app.cancel"))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.textContent = "";
      const partyOf = (p) => (p.code.value || p.uscc.value || p.name.value)
        ? { code: p.code.value.trim() || null, uscc: p.uscc.value.trim() || null, name: p.name.value.trim() || null } : null;
      const body = {
        name: name.value.trim(),
        enabled: form.elements.enabled.value === "true",
        ie_flag: form.elements.ie_flag.value,
        effective_by: form.elements.effective_by.value,
        agent: partyOf(agent), consignee: partyOf(consignee),
        operator_cards: cards.value.split(/[,，\s]+/).filter(Boolean),
        batch_wait_seconds: Number(wait.value),
        recheck_seconds: Number(recheck.value),
        ...Object.fromEntries(RULES.map((r) => [r, form.elements[r].checked])),
      };
      try {
        if (config) await put(`/configs/${config.config_id}`, body);
        else await post("/configs", body);
        clear(editor);
        toast(t("configs.saved"));
        await load();
      } catch (err) {
        // the uniqueness clash shows in the seed's own words: ✘ 该申报单位下存在相同的境内收发货人…
        error.textContent = `✘ ${err.text}`;
        const other = err.body?.code === "config_clash" ? err.body.details : null;
        if (other?.config_id && other.config_id !== config?.config_id) {
          // the message names the config it clashes with; this opens it (to stop it, or change it)
          const theirs = async () => {
            const found = (await get("/configs")).items.find((x) => x.config_id === other.config_id);
            if (found) edit(found);
          };
          append(error, " ", h("button", { type: "button", class: "small", onclick: () => theirs().catch(showError) },
            t("configs.open_other", { name: other.config_name })));
        }
        if (Array.isArray(err.body?.details)) {
          append(error, h("ul", {}, err.body.details.map((d) => h("li", {}, fieldMessage(d)))));
        }
      }
    });
    append(clear(editor), form);
    name.focus();
  }

  try {
    await load();
  } catch (err) {
    showError(err);
  }
}

function party(p) {
  if (!p) return t("app.none");
  return [p.code, p.uscc, p.name].filter(Boolean).join(" ");
}

function bodyOf(c) {
  const { config_id, created_by, created_at, updated_at, ...body } = c; // eslint-disable-line no-unused-vars
  return body;
}

export { alertDialog };
