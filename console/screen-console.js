// 智能申报执行 / 智能申报台: tick configs, start, stop; the live batch number, counts, progress,
// countdown and customs availability; the batch console with each declaration's result; continue.
//
// Live without hammering: while a batch runs the execution is read every 2 s; when an answer is
// the same as the last one the wait doubles (2, 4, 8, 16, 30 s at most) and it wakes up when the
// countdown says the next batch is due. The countdown itself ticks locally; the batch's list is
// read only when the execution's counts or batch change; a hidden tab reads nothing.
import { get, post } from "./api.js";
import { msg, t, tOr } from "./i18n.js";
import { alertDialog, checkbox, clear, confirmDialog, copyable, h, select, showError, table, timeEl, toast } from "./ui.js";

export const FAST_MS = 2000;
export const SLOWEST_MS = 30000;

let active = null; // the poller of the screen on show; replaced when the screen is left

export function leave() {
  active?.stop();
  active = null;
}

export async function render(main) {
  leave();
  const etype = select(["agent", "consignee"].map((v) => [v, t(`etype.${v}`)]), { id: "etype" });
  const configBox = h("div", { class: "config-ticks", role: "group", "aria-label": t("console.configs") });
  const startBtn = h("button", { type: "button", class: "primary", onclick: () => start() }, t("console.start"));
  const stopBtn = h("button", { type: "button", class: "danger", onclick: () => stop() }, t("console.stop"));
  const status = h("section", { class: "live", "aria-label": t("console.title") });
  const batchArea = h("section", { "aria-label": t("console.batch_table") });
  main.append(
    h("h1", {}, t("console.title")),
    h("p", { class: "tip" }, t("console.tip")),
    h("div", { class: "field inline" }, h("label", { for: "etype" }, t("console.etype")), etype),
    h("p", { class: "label" }, t("console.configs")),
    configBox,
    h("div", { class: "row" }, startBtn, stopBtn),
    status, batchArea);

  const { items: configs } = await get("/configs");
  for (const c of configs.filter((x) => x.enabled)) {
    configBox.append(checkbox(t("console.config_tick", { name: c.name, ie: t(`ie.${c.ie_flag}`) }), { name: "config", value: c.config_id }));
  }
  const executions = (await get("/executions")).items;
  let execution = executions.find((e) => e.status === "running") || executions.sort((a, b) => (b.started_at > a.started_at ? 1 : -1))[0] || null;

  if (!main.isConnected) return; // the clerk moved on while this screen was loading
  const poller = makePoller();
  active = poller;
  showExecution();
  if (execution) await poller.refreshBatch(true);
  if (execution?.status === "running") poller.start();

  async function start() {
    const ids = [...configBox.querySelectorAll("input[name=config]:checked")].map((b) => b.value);
    if (ids.length === 0) return alertDialog(t("console.no_config"));
    if (!(await confirmDialog(t("console.start_confirm")))) return;
    try {
      execution = await post("/executions", { enterprise_type: etype.value, config_ids: ids });
      toast(t("console.started"));
      showExecution();
      poller.start();
    } catch (err) {
      showError(err);
    }
  }

  async function stop() {
    if (!execution) return;
    if (!(await confirmDialog(t("console.stop_confirm")))) return;
    try {
      execution = await post(`/executions/${execution.execution_id}/stop`);
      toast(t("console.stopped"));
      showExecution();
    } catch (err) {
      showError(err);
    }
  }

  function showExecution() {
    const running = execution?.status === "running";
    startBtn.disabled = running;
    stopBtn.disabled = !running;
    if (running) for (const box of configBox.querySelectorAll("input")) box.checked = execution.config_ids.includes(box.value);
    if (!execution) {
      clear(status).append(h("p", { role: "status" }, t("console.idle")));
      return;
    }
    const e = execution;
    const countdown = h("strong", { class: "countdown", "aria-live": "off" });
    clear(status).append(
      h("dl", { class: "facts" },
        h("dt", {}, t("console.execution_status")), h("dd", { "data-field": "status" }, t(`console.status.${e.status}`)),
        h("dt", {}, t("console.batch_no")), h("dd", { "data-field": "batch_no" }, copyable(e.current_batch_no, t("col.batch_no")))),
      h("p", { role: "status", "data-field": "current" }, t("console.current", { index: e.batch_index, ok: e.batch_succeeded, failed: e.batch_failed })),
      h("p", { "data-field": "total" }, t("console.total", { batches: e.batches_total, ok: e.total_succeeded, failed: e.total_failed })),
      h("div", { class: "progress-row" },
        h("label", { for: "batch-progress" }, t("console.progress")),
        h("progress", { id: "batch-progress", max: 100, value: e.progress_percent ?? 0 }),
        h("span", { "data-field": "progress" }, `${e.progress_percent ?? 0}%`)),
      e.status === "running" && e.next_batch_at
        ? h("p", { class: "countdown-row" }, t("console.countdown"), " ", countdown, " ",
          h("button", { type: "button", class: "danger small", onclick: () => stop() }, t("console.stop")))
        : null,
      h("p", { class: e.customs_available ? "ok" : "warn", "data-field": "customs" },
        e.customs_available ? `● ${t("console.customs_ok")}` : `▲ ${t("console.customs_down")}`),
      h("p", { class: "live-note", "data-field": "live" }, poller.note()));
    poller.countdownEl = countdown;
    poller.paintCountdown();
  }

  function makePoller() {
    let timer = null;
    let clockTimer = null;
    let delay = FAST_MS;
    let last = null;
    let batchKey = null;
    let stopped = true;
    const p = {
      countdownEl: null,
      note: () => (document.hidden ? t("console.paused") : t("console.live", { seconds: Math.round(delay / 1000) })),
      start() {
        stopped = false;
        delay = FAST_MS;
        schedule(0);
        clearInterval(clockTimer);
        clockTimer = setInterval(() => p.paintCountdown(), 1000);
      },
      stop() {
        stopped = true;
        clearTimeout(timer);
        clearInterval(clockTimer);
        document.removeEventListener("visibilitychange", onVisible);
      },
      paintCountdown() {
        if (!p.countdownEl || !execution?.next_batch_at) return;
        const left = Math.max(0, Math.round((Date.parse(execution.next_batch_at) - Date.now()) / 1000));
        p.countdownEl.textContent = left > 0
          ? `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`
          : t("console.countdown_due");
      },
      async refreshBatch(force = false) {
        const key = execution && JSON.stringify([execution.current_batch_no, execution.batch_succeeded, execution.batch_failed,
          execution.progress_percent, execution.total_succeeded, execution.total_failed]);
        if (!force && key === batchKey) return;
        batchKey = key;
        if (!execution?.current_batch_no) {
          clear(batchArea).append(h("p", {}, t("console.no_batch")));
          return;
        }
        let batch;
        try {
          batch = await get(`/batches/${execution.current_batch_no}`);
        } catch (error) {
          // a batch that has just started is written once its claims are taken: read it again next poll
          if (error?.status !== 404) throw error;
          batchKey = null;
          return;
        }
        clear(batchArea).append(batchConsole(batch, () => p.refreshBatch(true)));
      },
    };
    function schedule(ms) {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(tick, ms);
    }
    async function tick() {
      if (document.hidden) {
        document.addEventListener("visibilitychange", onVisible, { once: true });
        return;
      }
      try {
        execution = await get(`/executions/${execution.execution_id}`);
      } catch {
        return schedule(SLOWEST_MS);
      }
      const { countdown_seconds, ...rest } = execution; // the countdown alone is no change
      const signature = JSON.stringify(rest);
      const batchRuns = execution.status === "running" && execution.current_batch_no && execution.progress_percent < 100;
      delay = signature !== last || batchRuns ? FAST_MS : Math.min(delay * 2, SLOWEST_MS);
      last = signature;
      if (execution.next_batch_at) {
        const due = Date.parse(execution.next_batch_at) - Date.now() + 500;
        delay = Math.max(FAST_MS / 2, Math.min(delay, due > 0 ? due : FAST_MS));
      }
      showExecution();
      await p.refreshBatch().catch(() => {});
      // stopped: in-flight declarations still finish; follow them until the batch is done, then rest
      if (execution.status !== "running" && !batchRuns && execution.progress_percent >= 100) return p.stop();
      schedule(delay);
    }
    function onVisible() {
      if (!document.hidden) schedule(0);
    }
    return p;
  }
}

/** The console of one batch (智能申报台): counts and each declaration's result; failed ones can continue. */
export function batchConsole(batch, after) {
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  const failed = batch.declarations.filter((d) => d.result === "failed" || d.smart_status === "failed");
  const chosen = new Set();
  const rows = batch.declarations.map((d) => ({ ...d, __attrs: d.tax_status === "unconfirmed" ? { class: "tax-pending" } : {} }));
  const columns = [
    { label: t("col.select"), render: (d) => (d.smart_status === "failed"
      ? h("input", { type: "checkbox", "aria-label": `${t("col.select")} ${d.seq_no}`, onchange: (e) => (e.target.checked ? chosen.add(d.seq_no) : chosen.delete(d.seq_no)) })
      : "") },
    { label: t("col.number"), render: (d) => h("span", { class: "stack" }, copyable(d.seq_no, t("col.number")), d.entry_id ? copyable(d.entry_id, t("col.entry_id")) : null) },
    { label: t("col.bill_no"), render: (d) => d.bill_no || t("app.none") },
    { label: t("col.declare_customs"), key: "declare_customs" },
    { label: t("col.ie_flag"), render: (d) => t(`ie.${d.ie_flag}`) },
    { label: t("col.trade_mode"), key: "trade_mode" },
    { label: t("col.smart_status"), render: (d) => tOr(`smart.${d.smart_status}`, d.smart_status) },
    { label: t("col.result"), render: (d) => h("span", { class: `result ${d.result}` }, tOr(`console.result.${d.result}`, d.result),
      (d.reason_zh || d.reason_en) ? h("small", { class: "reason" }, lang === "en" ? d.reason_en : d.reason_zh) : null) },
    { label: t("col.record"), render: (d) => h("a", { href: `#/log/${d.seq_no}` }, t("query.record")) },
    { label: t("col.tax_status"), render: (d) => tOr(`tax.${d.tax_status}`, d.tax_status || t("app.none")) },
    { label: `${t("col.updated")} (${t("app.tz")})`, render: (d) => timeEl(d.updated_at || d.at) },
    { label: t("col.actions"), render: (d) => {
      if (d.tax_status === "unconfirmed") return h("a", { href: `#/tax/${d.seq_no}` }, t("console.tax_confirm"));
      // the prompts and their confirmation are on the declaration's log (申报记录)
      if (d.waiting_reason === "advisory") return h("a", { href: `#/log/${d.seq_no}` }, t("log.advisories_confirm"));
      return "";
    } },
  ];
  async function continueFailed() {
    if (chosen.size === 0) return alertDialog(t("marking.none_selected"));
    if (!(await confirmDialog(t("query.continue_confirm")))) return;
    try {
      const result = await post("/declarations/continue", { seq_nos: [...chosen] });
      await alertDialog(msg(result));
      after();
    } catch (err) {
      showError(err);
    }
  }
  return h("div", { class: "batch" },
    h("h2", {}, t("batch.title"), " ", copyable(batch.batch_no, t("col.batch_no"))),
    h("p", {}, t("batch.summary", { batch_no: batch.batch_no, claimed: batch.claimed, ok: batch.succeeded, failed: batch.failed, waiting: batch.waiting })),
    batch.config_names?.length ? h("p", {}, t("batch.configs", { names: batch.config_names.join("、") })) : null,
    table(t("console.batch_table"), columns, rows),
    failed.length ? h("div", { class: "row" }, h("button", { type: "button", onclick: continueFailed }, t("query.continue"))) : null);
}

export async function renderBatch(main, batchNo) {
  leave();
  const batch = await get(`/batches/${batchNo}`);
  main.append(h("h1", {}, t("batch.title")), batchConsole(batch, () => { clear(main); renderBatch(main, batchNo); }));
}
