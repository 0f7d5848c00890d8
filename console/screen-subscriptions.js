// 消息订阅: e-mail, SMS and webhook subscriptions with the subscriber's choices (events, states,
// configs; an e-mail digest; SMS quiet hours); a webhook's secret shown once; the delivery log; replay.
import { del, get, post } from "./api.js";
import { currentSession } from "./auth.js";
import { asLabel, joined, t, tOr } from "./i18n.js";
import { alertDialog, append, checkbox, clear, confirmDialog, copyable, field, h, select, showError, table, timeEl, toast } from "./ui.js";

// the event types a subscription may ask for (domain/events.EVENT_TYPES; a test holds them equal)
export const EVENT_TYPES = ["smart_status_changed", "customs_receipt", "receipt_overdue", "customs_channel"];
// the words subscribers filter on (chalicelib/domain/messages.py STATES; a test keeps them equal)
export const STATES = ["pending", "waiting", "in_progress", "succeeded", "failed", "accepted", "received",
  "inspection", "held", "rejected", "released", "closed", "receipt", "overdue"];

export async function render(main) {
  const legal = currentSession()?.claims.role === "legal";
  const list = h("div", {});
  const deliveries = h("section", { "aria-live": "polite" });
  // the enterprise's configs, to choose from and to name in the list (none if they cannot be read:
  // the list below shows why, e.g. not enabled)
  const configs = await get("/configs").then((r) => r.items, () => []);
  const configNames = Object.fromEntries(configs.map((c) => [c.config_id, c.name]));
  const protocol = select(["email", "sms", "webhook"].map((p) => [p, t(`subs.protocol.${p}`)]));
  const endpoint = h("input", { required: true, maxlength: 2048, autocomplete: "off" });
  const events = EVENT_TYPES.map((e) => checkbox(t(`subs.event.${e}`), { name: "event_types", value: e }));
  const states = STATES.map((s) => checkbox(asLabel(t(`subs.state.${s}`)), { name: "states", value: s }));
  const configBoxes = configs.map((c) => checkbox(c.name, { name: "config_ids", value: c.config_id }));
  const digest = select(["", "hourly", "daily"].map((d) => [d, t(`subs.digest.${d || "none"}`)]));
  const quietStart = h("input", { type: "time" });
  const quietEnd = h("input", { type: "time" });
  // what only one channel has: a digest (e-mail), quiet hours (SMS); shown for that channel only
  const digestField = field(t("subs.digest"), digest, t("subs.digest_hint"));
  const quietFields = h("fieldset", { class: "quiet" }, h("legend", {}, t("subs.quiet_hours")),
    field(t("subs.quiet_start"), quietStart), field(t("subs.quiet_end"), quietEnd), h("small", { class: "hint" }, t("subs.quiet_hint")));
  const showChannelOptions = () => {
    digestField.hidden = protocol.value !== "email";
    quietFields.hidden = protocol.value !== "sms";
  };
  protocol.addEventListener("change", showChannelOptions);
  showChannelOptions();
  const form = h("form", { class: "subscribe", "aria-labelledby": "subs-new" },
    h("h2", { id: "subs-new" }, t("subs.add")),
    field(t("subs.protocol"), protocol), field(t("subs.endpoint"), endpoint),
    h("fieldset", {}, h("legend", {}, t("subs.event_types")), events, h("small", { class: "hint" }, t("subs.all_hint"))),
    h("fieldset", { class: "choices" }, h("legend", {}, t("subs.states")), states, h("small", { class: "hint" }, t("subs.all_hint"))),
    configs.length ? h("fieldset", { class: "choices" }, h("legend", {}, t("subs.config_ids")), configBoxes, h("small", { class: "hint" }, t("subs.all_hint"))) : null,
    digestField, quietFields,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("subs.add"))));
  const ticked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((b) => b.value);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { protocol: protocol.value, endpoint: endpoint.value.trim(), event_types: ticked("event_types"),
      states: ticked("states"), config_ids: ticked("config_ids") };
    if (protocol.value === "email" && digest.value) body.digest = digest.value;
    // half a window is sent as it is: the API names the missing end
    if (protocol.value === "sms" && (quietStart.value || quietEnd.value)) body.quiet_hours = { start: quietStart.value, end: quietEnd.value };
    try {
      const created = await post("/subscriptions", body);
      form.reset();
      showChannelOptions();
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
  append(main, h("h1", {}, t("subs.title")), h("p", { class: "tip" }, t("subs.tip")),
    legal ? form : h("p", { class: "note" }, t("subs.legal_only")), list, deliveries);

  const allOr = (values, label) => (values?.length ? joined(values.map(label)) : t("filter.all"));
  const options = (s) => {
    if (s.digest) return t(`subs.digest.${s.digest}`);
    if (s.quiet_hours) return t("subs.quiet_shown", { start: s.quiet_hours.start, end: s.quiet_hours.end });
    return t("app.none");
  };

  async function load() {
    const { items } = await get("/subscriptions");
    const columns = [
      { label: t("subs.protocol"), keep: true, render: (s) => t(`subs.protocol.${s.protocol}`) },
      { label: t("subs.endpoint"), key: "endpoint", keep: true },
      { label: t("subs.event_types"), render: (s) => allOr(s.event_types, (e) => tOr(`subs.event.${e}`, e)) },
      { label: t("subs.states"), render: (s) => allOr(s.states, (v) => asLabel(tOr(`subs.state.${v}`, v))) },
      { label: t("subs.config_ids"), render: (s) => allOr(s.config_ids, (id) => configNames[id] || id) },
      { label: t("subs.col.options"), render: options },
      { label: t("subs.col.created"), sub: t("app.tz"), render: (s) => timeEl(s.created_at) },
      { label: t("col.actions"), keep: true, render: (s) => h("span", { class: "actions" },
        s.protocol !== "email" ? h("button", { type: "button", onclick: () => showDeliveries(s) }, t("subs.deliveries")) : null,
        legal ? h("button", { type: "button", class: "danger", onclick: () => remove(s) }, t("subs.delete")) : null) },
    ];
    append(clear(list), table(t("subs.title"), columns, items, { empty: t("subs.empty") }));
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
      { label: t("subs.col.at"), sub: t("app.tz"), keep: true, render: (d) => timeEl(d.updated_at || d.event?.occurred_at) },
      { label: t("subs.col.event"), render: (d) => tOr(`subs.event.${d.event?.event_type}`, d.event?.event_type || t("app.none")) },
      { label: t("col.number"), keep: true, render: (d) => copyable(d.event?.seq_no, t("col.number"), d.event?.seq_no ? `#/declarations/${d.event.seq_no}` : null) },
      { label: t("subs.col.attempt"), render: (d) => (Array.isArray(d.attempts) ? d.attempts.length : t("app.none")) },
      { label: t("subs.col.outcome"), keep: true, render: (d) => tOr(`subs.status.${d.status}`, d.status || t("app.none")) },
      { label: t("subs.col.status_code"), render: (d) => (Array.isArray(d.attempts) && d.attempts.length ? (d.attempts.at(-1).status_code ?? d.attempts.at(-1).status ?? t("app.none")) : t("app.none")) },
    ];
    // SMS: the log of mainland SMS (SmsProvider aliyun; empty when SNS sends them); replay is for webhooks
    append(clear(deliveries), h("h2", {}, `${t("subs.deliveries")}：${s.endpoint}`),
      table(t("subs.deliveries"), columns, items, { empty: t("subs.no_deliveries") }), s.protocol === "webhook" ? replay : null);
  }

  try {
    await load();
  } catch (err) {
    showError(err);
  }
}
