// 消息订阅: e-mail, SMS and webhook subscriptions; a webhook's secret shown once; the delivery log; replay.
import { del, get, post } from "./api.js";
import { currentSession } from "./auth.js";
import { t, tOr } from "./i18n.js";
import { alertDialog, checkbox, clear, confirmDialog, copyable, field, h, select, showError, table, timeEl, toast } from "./ui.js";

export async function render(main) {
  const legal = currentSession()?.claims.role === "legal";
  const list = h("div", {});
  const deliveries = h("section", { "aria-live": "polite" });
  const protocol = select(["email", "sms", "webhook"].map((p) => [p, t(`subs.protocol.${p}`)]));
  const endpoint = h("input", { required: true, maxlength: 2048, autocomplete: "off" });
  const events = ["smart_status_changed", "customs_receipt"].map((e) => checkbox(t(`subs.event.${e}`), { name: "event_types", value: e }));
  const form = h("form", { class: "subscribe", "aria-labelledby": "subs-new" },
    h("h2", { id: "subs-new" }, t("subs.add")),
    field(t("subs.protocol"), protocol), field(t("subs.endpoint"), endpoint),
    h("fieldset", {}, h("legend", {}, t("subs.event_types")), events),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("subs.add"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const eventTypes = [...form.querySelectorAll("input[name=event_types]:checked")].map((b) => b.value);
    try {
      const created = await post("/subscriptions", { protocol: protocol.value, endpoint: endpoint.value.trim(), event_types: eventTypes });
      form.reset();
      toast(t("subs.created"));
      if (created.secret) {
        // shown once: the API never returns it again
        await alertDialog(t("subs.secret"), h("p", { class: "secret" }, copyable(created.secret, "secret")));
      }
      await load();
    } catch (err) {
      showError(err);
    }
  });
  main.append(h("h1", {}, t("subs.title")), h("p", { class: "tip" }, t("subs.tip")),
    legal ? form : h("p", { class: "note" }, t("subs.legal_only")), list, deliveries);

  async function load() {
    const { items } = await get("/subscriptions");
    const columns = [
      { label: t("subs.protocol"), render: (s) => t(`subs.protocol.${s.protocol}`) },
      { label: t("subs.endpoint"), key: "endpoint" },
      { label: t("subs.event_types"), render: (s) => (s.event_types?.length ? s.event_types.map((e) => tOr(`subs.event.${e}`, e)).join("、") : t("filter.all")) },
      { label: `${t("subs.col.created")} (${t("app.tz")})`, render: (s) => timeEl(s.created_at) },
      { label: t("col.actions"), render: (s) => h("span", { class: "actions" },
        s.protocol === "webhook" ? h("button", { type: "button", onclick: () => showDeliveries(s) }, t("subs.deliveries")) : null,
        legal ? h("button", { type: "button", class: "danger", onclick: () => remove(s) }, t("subs.delete")) : null) },
    ];
    clear(list).append(table(t("subs.title"), columns, items, { empty: t("subs.empty") }));
  }

  async function remove(s) {
    if (!(await confirmDialog(t("subs.delete_confirm")))) return;
    try {
      await del(`/subscriptions/${s.subscription_id}`);
      await load();
    } catch (err) {
      showError(err);
    }
  }

  async function showDeliveries(s) {
    const { items } = await get(`/subscriptions/${s.subscription_id}/deliveries`);
    const now = new Date();
    const local = (d) => new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 16); // China wall time for the inputs
    const from = h("input", { type: "datetime-local", value: local(new Date(now - 24 * 3600e3)) });
    const to = h("input", { type: "datetime-local", value: local(now) });
    const replay = h("form", { class: "replay" }, field(`${t("subs.replay_from")} (${t("app.tz")})`, from), field(`${t("subs.replay_to")} (${t("app.tz")})`, to),
      h("button", { type: "submit" }, t("subs.replay")));
    replay.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const result = await post(`/subscriptions/${s.subscription_id}/replay`, { from: `${from.value}:00+08:00`, to: `${to.value}:00+08:00` });
        toast(t("subs.replayed", { count: result.replayed }));
        await showDeliveries(s);
      } catch (err) {
        showError(err);
      }
    });
    // one row per event: {event, status, attempts: [{at, status_code?, …}], updated_at}
    const columns = [
      { label: `${t("subs.col.at")} (${t("app.tz")})`, render: (d) => timeEl(d.updated_at || d.event?.occurred_at) },
      { label: t("subs.col.event"), render: (d) => tOr(`subs.event.${d.event?.event_type}`, d.event?.event_type || t("app.none")) },
      { label: t("col.number"), render: (d) => copyable(d.event?.seq_no, t("col.number")) },
      { label: t("subs.col.attempt"), render: (d) => (Array.isArray(d.attempts) ? d.attempts.length : t("app.none")) },
      { label: t("subs.col.outcome"), render: (d) => tOr(`subs.status.${d.status}`, d.status || t("app.none")) },
      { label: t("subs.col.status_code"), render: (d) => (Array.isArray(d.attempts) && d.attempts.length ? (d.attempts.at(-1).status_code ?? d.attempts.at(-1).status ?? t("app.none")) : t("app.none")) },
    ];
    clear(deliveries).append(h("h2", {}, `${t("subs.deliveries")}：${s.endpoint}`),
      table(t("subs.deliveries"), columns, items, { empty: t("subs.no_deliveries") }), replay);
  }

  try {
    await load();
  } catch (err) {
    showError(err);
  }
}
