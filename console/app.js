// The shell: sign-in, the menu, the language switch and a hash router over the screens.
import * as auth from "./auth.js";
import { get, post } from "./api.js";
import { getLang, msg, setLang, t, tRich } from "./i18n.js";
import { alertDialog, append, checkbox, clear, field, h, select, showError, timeEl, toast } from "./ui.js";
import * as configs from "./screen-configs.js";
import * as marking from "./screen-marking.js";
import * as smartConsole from "./screen-console.js";
import * as query from "./screen-query.js";
import * as declaration from "./screen-declaration.js";
import * as entry from "./screen-entry.js";
import * as tax from "./screen-tax.js";
import * as subscriptions from "./screen-subscriptions.js";
import * as channel from "./screen-channel.js";
import * as mappings from "./screen-mappings.js";
import * as parts from "./screen-parts.js";

const NAV = [
  ["enable", "nav.enable"], ["configs", "nav.configs"], ["marking", "nav.marking"], ["console", "nav.console"],
  ["query", "nav.query"], ["tax", "nav.tax"], ["channel", "nav.channel"], ["subscriptions", "nav.subscriptions"],
  ["mappings", "nav.mappings"], ["parts", "nav.parts"],
];

// local stack: enterprises of the examples (the sign-in form lets you type any other)
const PRESETS = [
  { ent_code: "1108919038", ent_uscc: "91110000600037341L", name: "中国大恒(集团)有限公司" },
  { ent_code: "3101234567", ent_uscc: "91310000MA1FL4CT3U", name: "上海示例进出口有限公司" },
];

const main = document.getElementById("main");
let enabled = null;

function shell() {
  const session = auth.currentSession();
  document.title = t("app.title");
  const header = document.getElementById("header");
  append(clear(header),
    h("a", { class: "skip", href: "#main", onclick: (e) => { e.preventDefault(); main.focus(); } }, t("app.skip")),
    h("span", { class: "brand" }, t("app.title")),
    session ? h("span", { class: "who" }, t("app.card", { role: t(`app.role.${session.claims.role}`), card: session.claims.card_no }),
      ` · ${session.claims.ent_code}`) : null,
    h("button", { type: "button", class: "lang", lang: getLang() === "zh" ? "en" : "zh", "aria-label": t("app.lang_label"),
      onclick: () => { setLang(getLang() === "zh" ? "en" : "zh"); route(); } }, t("app.lang")),
    session ? h("button", { type: "button", onclick: () => auth.signOut() }, t("app.signout")) : null);
  const nav = document.getElementById("nav");
  clear(nav).setAttribute("aria-label", t("nav.label"));
  if (session) {
    const current = location.hash.replace(/^#\//, "").split("/")[0] || "console";
    append(nav, h("ul", {}, NAV.map(([id, key]) => h("li", {},
      h("a", { href: `#/${id}`, "aria-current": current === id ? "page" : null }, t(key))))));
  }
}

async function route() {
  smartConsole.leave();
  shell();
  // each route renders into its own element: a slower, older route finishing later lands nowhere
  const view = h("div", { class: "view" });
  append(clear(main), view);
  window.scrollTo(0, 0); // a new screen opens at its top (a hash change alone keeps the old scroll)
  const session = auth.currentSession();
  if (!session) return signIn(view);
  const [screen, arg] = location.hash.replace(/^#\//, "").split("/");
  view.setAttribute("aria-busy", "true"); // until the screen has read and shown what it shows
  try {
    if (enabled === null) enabled = (await get("/enablement")).enabled;
    if (!enabled && screen !== "enable") {
      append(view, h("p", { class: "warn", role: "alert" }, t("enable.need")));
      return renderEnable(view);
    }
    switch (screen || (enabled ? "console" : "enable")) {
      case "enable": return await renderEnable(view);
      case "configs": return await configs.render(view);
      case "marking": return await marking.render(view);
      case "console": return await smartConsole.render(view);
      case "batch": return await smartConsole.renderBatch(view, arg);
      case "query": return await query.render(view);
      case "declarations": return await declaration.render(view, arg);
      case "entry": return await entry.render(view);
      case "log": return await declaration.render(view, arg, { focus: "log" }); // 申报记录: the same page, at its log
      case "tax": return arg ? await tax.renderDetail(view, arg) : await tax.render(view);
      case "subscriptions": return await subscriptions.render(view);
      case "channel": return await channel.render(view);
      case "mappings": return await mappings.render(view);
      case "parts": return await parts.render(view);
      default: location.hash = "#/console";
    }
  } catch (err) {
    if (view.isConnected) showError(err); // a screen the clerk already left keeps its errors to itself
  } finally {
    view.removeAttribute("aria-busy");
  }
}

async function renderEnable(view) {
  const state = await get("/enablement");
  enabled = state.enabled;
  const legal = auth.currentSession().claims.role === "legal";
  const notice = getLang() === "en" ? state.notice.text_en : state.notice.text_zh;
  const manual = auth.manualUrl();
  const section = h("section", { "aria-labelledby": "notice-title" },
    h("h1", {}, t("enable.title")),
    h("div", { class: "intro" },
      h("h2", {}, t("enable.intro_title")),
      h("p", {}, t("enable.intro")),
      h("p", { class: "note" }, tRich("enable.more", {
        manual: manual ? h("a", { href: manual, target: "_blank", rel: "noopener" }, t("enable.manual")) : t("enable.manual"),
      })),
      h("div", { class: "features-steps" },
        h("section", { "aria-labelledby": "features-title" }, h("h3", { id: "features-title" }, t("enable.features")),
          h("ul", { class: "features" }, ["logistics", "agreement", "arrival", "customs"].map((f) => h("li", {}, t(`enable.feature.${f}`))))),
        h("section", { "aria-labelledby": "steps-title" }, h("h3", { id: "steps-title" }, t("enable.steps_title")),
          h("ol", { class: "steps" }, [1, 2, 3, 4].map((n) => h("li", {}, t(`enable.step.${n}`))))))),
    h("h2", { id: "notice-title" }, t("enable.notice")),
    h("pre", { class: "notice", tabindex: "0" }, notice));
  if (state.enabled) {
    append(section, h("p", { class: "ok", role: "status" }, t("enable.done", { who: state.accepted_by, version: state.notice_version, at: "" }),
      timeEl(state.accepted_at, { zone: true })));
  } else if (!legal) {
    append(section, h("p", { class: "note" }, t("enable.legal_only")));
  } else {
    const accept = checkbox(t("enable.accept"), { name: "accept", required: true });
    const form = h("form", {}, accept, h("button", { type: "submit", class: "primary" }, t("enable.submit")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await post("/enablement", { accept_notice: true });
        enabled = true;
        toast(t("enable.success"));
        await route();
      } catch (err) {
        showError(err);
      }
    });
    append(section, form);
  }
  append(view, section);
}

function signIn(view) {
  const mode = auth.signInMode();
  const section = h("section", { class: "signin", "aria-labelledby": "signin-title" }, h("h1", { id: "signin-title" }, t("signin.title")));
  if (mode === "oidc") {
    append(section, h("p", {}, t("signin.oidc_note")),
      h("button", { type: "button", class: "primary", onclick: () => auth.oidcSignIn() }, t("signin.oidc")));
  } else if (mode === "local") {
    const preset = select(PRESETS.map((p, i) => [String(i), `${p.ent_code} ${p.name}`]));
    const code = h("input", { name: "ent_code", required: true, maxlength: 10, value: PRESETS[0].ent_code, autocomplete: "off" });
    const uscc = h("input", { name: "ent_uscc", maxlength: 18, value: PRESETS[0].ent_uscc, autocomplete: "off" });
    const role = select([["legal", t("app.role.legal")], ["operator", t("app.role.operator")]], { name: "role" });
    const card = h("input", { name: "card_no", required: true, maxlength: 32, value: `${PRESETS[0].ent_code}L01`, autocomplete: "off" });
    const sync = () => { card.value = `${code.value}${role.value === "legal" ? "L" : "O"}01`; };
    preset.onchange = () => {
      const p = PRESETS[Number(preset.value)];
      code.value = p.ent_code;
      uscc.value = p.ent_uscc;
      sync();
    };
    role.onchange = sync;
    const form = h("form", {}, h("p", { class: "note" }, t("signin.local_note")),
      field(t("signin.preset"), preset), field(t("signin.ent_code"), code), field(t("signin.ent_uscc"), uscc),
      field(t("signin.role"), role), field(t("signin.card_no"), card),
      h("button", { type: "submit", class: "primary" }, t("signin.submit")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await auth.devSignIn({ ent_code: code.value.trim(), ent_uscc: uscc.value.trim(), role: role.value, card_no: card.value.trim() });
      } catch (err) {
        showError({ text: msg(err.body), body: err.body });
      }
    });
    append(section, form);
  } else {
    append(section, h("p", { class: "warn" }, t("signin.unconfigured")));
  }
  append(view, section);
}

async function boot() {
  setLang(getLang());
  await auth.loadConfig();
  let signedIn = false;
  auth.onChange((session) => {
    // a refreshed token changes nothing on screen; signing in or out does
    if (Boolean(session) === signedIn) return;
    signedIn = Boolean(session);
    enabled = null;
    route();
  });
  window.addEventListener("hashchange", route);
  const resumed = auth.signInMode() === "oidc" ? await auth.completeOidc() : await auth.resumeLocal();
  if (!resumed) route();
}

boot().catch((err) => alertDialog(String(err)));
