// 智能申报执行 / 智能申报台: tick configs, start, stop; the live batch number, counts, progress,
// the countdown to the next batch in a dialog with 停止申报, customs availability; the seed's list of
// the declarations the ticked configs take (the pool, then each one's result), the batch history,
// and the batch console with each declaration's result; continue.
//
// What it says is what the execution is doing: a batch running ("当前正在执行第 N 批次"), a batch
// done and the next one counting down, waiting for marked declarations (its last batch found
// nothing: no countdown, it starts when something is marked, continued or confirmed), or stopped
// with the last batch's totals. An empty batch never replaces the last batch's results: the list
// shows the newest batch that took declarations.
//
// Live without hammering: while a batch runs the execution is read every 2 s; when an answer is
// the same as the last one the wait doubles (2, 4, 8, 16, 30 s at most) and it wakes up when the
// countdown says the next batch is due. The countdown itself ticks locally; the batch history, the
// batch's list and the pool are read only when the execution's counts or batch change; a hidden tab
// reads nothing.
import { get, post } from "./api.js";
import * as codes from "./codes.js";
import { summary as channelSummary } from "./screen-channel.js";
import { msg, t, tOr, tRich } from "./i18n.js";
import { alertDialog, append, checkbox, clear, confirmDialog, copyable, h, select, showError, table, timeEl, toast } from "./ui.js";

export const FAST_MS = 2000;
export const SLOWEST_MS = 30000;
const PAGE = 10; // the seed's list: 每页显示 10 条记录

let active = null; // the poller of the screen on show; replaced when the screen is left

export function leave() {
  active?.stop();
  active = null;
}

/** The execution's words for what it is doing now. */
export function phase(e) {
  if (!e) return "none";
  const inBatch = e.current_batch_no && e.progress_percent < 100;
  if (e.status !== "running") return inBatch ? "stopping" : "stopped"; // in-flight declarations finish
  if (!e.current_batch_no) return "starting";
  if (inBatch) return "batch";
  return e.idle ? "idle" : "countdown";
}

export async function render(main) {
  leave();
  await codes.load("declare_customs", "trade_mode");
  const etype = select(["agent", "consignee"].map((v) => [v, t(`etype.${v}`)]), { id: "etype" });
  const configBox = h("div", { class: "config-ticks", role: "group", "aria-label": t("console.configs") });
  const startBtn = h("button", { type: "button", class: "primary", onclick: () => start() }, t("console.start"));
  const stopBtn = h("button", { type: "button", class: "danger", onclick: () => stop() }, t("console.stop"));
  const status = h("section", { class: "live", "aria-label": t("console.title") });
  const listArea = h("section", { "aria-label": t("console.list") });
  const historyArea = h("section", { "aria-labelledby": "history-title" });
  const countdown = countdownDialog(() => stop());
  append(main,
    h("h1", {}, t("console.title")),
    // 综合查询 is the Single Window's own query; here the link opens 智能申报查询, where the follow-up is
    h("p", { class: "tip" }, tRich("console.tip", { query: h("a", { href: "#/query" }, t("console.tip_link")) })),
    h("div", { class: "field inline" }, h("label", { for: "etype" }, t("console.etype")), etype),
    h("p", { class: "label" }, t("console.configs")),
    configBox,
    h("div", { class: "row" }, startBtn, stopBtn),
    status, listArea, historyArea);

  const { items: configs } = await get("/configs");
  for (const c of configs.filter((x) => x.enabled)) {
    append(configBox, checkbox(t("console.config_tick", { name: c.name, ie: t(`ie.${c.ie_flag}`) }), { name: "config", value: c.config_id }));
  }
  const executions = (await get("/executions")).items;
  let execution = executions.find((e) => e.status === "running") || executions.sort((a, b) => (b.started_at > a.started_at ? 1 : -1))[0] || null;
  let history = []; // the execution's batches, newest first
  let shown = null; // the newest batch that took declarations, read whole (its rows and results)
  let poolRows = [];
  let poolTruncated = false;
  let channel = null; // 报文客户端状态 (GET /customs/channel), read with the lists
  let started = null; // the batch whose start was announced (开始智能申报统一编号为…的数据!)
  let page = 0;

  if (!main.isConnected) return; // the clerk moved on while this screen was loading
  const poller = makePoller();
  active = poller;
  if (execution?.status === "running") {
    etype.value = execution.enterprise_type;
    for (const box of configBox.querySelectorAll("input")) box.checked = execution.config_ids.includes(box.value);
  }
  configBox.addEventListener("change", () => { if (execution?.status !== "running") refreshPool().catch(showError); });
  etype.addEventListener("change", () => { if (execution?.status !== "running") refreshPool().catch(showError); });
  showExecution();
  await poller.refreshLists(true);
  if (execution?.status === "running") poller.start();

  function ticked() {
    return [...configBox.querySelectorAll("input[name=config]:checked")].map((b) => b.value);
  }

  async function start() {
    const ids = ticked();
    if (ids.length === 0) return alertDialog(t("console.no_config"));
    if (!(await confirmDialog(t("console.start_confirm")))) return;
    try {
      execution = await post("/executions", { enterprise_type: etype.value, config_ids: ids });
      history = [];
      shown = null;
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

  /** The pool of the ticked configs (before start) or of the execution's (once started). */
  async function refreshPool() {
    const running = execution?.status === "running";
    const ids = running ? execution.config_ids : ticked();
    if (ids.length === 0) {
      poolRows = [];
      poolTruncated = false;
    } else {
      const answer = await get("/pool", { enterprise_type: running ? execution.enterprise_type : etype.value, config_ids: ids.join(",") });
      poolRows = answer.items;
      poolTruncated = answer.truncated;
    }
    showList();
  }

  function showExecution() {
    const e = execution;
    const now = phase(e);
    const running = e?.status === "running";
    startBtn.disabled = running;
    stopBtn.disabled = !running;
    for (const box of configBox.querySelectorAll("input")) box.disabled = !stopBtn.disabled;
    etype.disabled = !stopBtn.disabled;
    if (now === "countdown") countdown.open(e.next_batch_at);
    else countdown.close();
    if (!e) {
      append(clear(status), h("p", { role: "status", "data-field": "current" }, t("console.idle")), channelSummary(channel));
      return;
    }
    const last = history.find((b) => b.claimed > 0);
    const lines = {
      starting: t("console.starting_first"),
      batch: t("console.current", { index: e.batch_index, ok: e.batch_succeeded, failed: e.batch_failed }),
      countdown: t("console.batch_done", { index: e.batch_index, ok: e.batch_succeeded, failed: e.batch_failed }),
      idle: t("console.waiting_marked"),
      stopped: last
        ? t("console.stopped_last", { index: last.index, batch_no: last.batch_no, ok: last.succeeded, failed: last.failed, waiting: last.waiting })
        : t("console.stopped_none"),
    };
    lines.stopping = `${lines.stopped} ${t("console.stopping", { index: e.batch_index })}`;
    const claimedNow = started && started.batch_no === e.current_batch_no ? started.seq_nos : [];
    append(clear(status),
      h("dl", { class: "facts" },
        h("dt", {}, t("console.execution_status")), h("dd", { "data-field": "status" }, t(`console.phase.${now}`)),
        h("dt", {}, t(running ? "console.batch_no" : "console.last_batch_no")), h("dd", { "data-field": "batch_no" }, copyable(e.current_batch_no, t("col.batch_no"), e.current_batch_no ? `#/batch/${e.current_batch_no}` : null))),
      h("p", { role: "status", "data-field": "current" }, lines[now]),
      claimedNow.length && now === "batch" ? h("p", { class: "ok", "data-field": "starting" }, t("console.starting", { seq_nos: claimedNow.join(t("app.list_sep")) })) : null,
      h("p", { "data-field": "total" }, t("console.total", { batches: e.batches_total, ok: e.total_succeeded, failed: e.total_failed })),
      h("div", { class: "progress-row" },
        h("label", { for: "batch-progress" }, t("console.progress")),
        h("progress", { id: "batch-progress", max: 100, value: e.progress_percent ?? 0 }),
        h("span", { "data-field": "progress" }, `${e.progress_percent ?? 0}%`)),
      h("p", { class: e.customs_available ? "ok" : "warn", "data-field": "customs" },
        e.customs_available ? `● ${t("console.customs_ok")}` : `▲ ${t("console.customs_down")}`),
      channelSummary(channel),
      h("p", { class: "live-note", "data-field": "live" }, running || now === "stopping" ? poller.note() : null));
  }

  /** The seed's list: the newest batch's declarations with their results, then the pool's. */
  function showList() {
    const inBatch = new Set((shown?.declarations || []).map((d) => d.seq_no));
    const batchRows = (shown?.declarations || []).map((d) => ({ batch_no: shown.batch_no, ...d }));
    const rows = [...batchRows, ...poolRows.filter((d) => !inBatch.has(d.seq_no))];
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    page = Math.min(page, pages - 1);
    const first = page * PAGE;
    const running = execution?.status === "running";
    const empty = (running ? execution.config_ids : ticked()).length === 0 ? t("console.pool_tick") : t("console.pool_empty");
    append(clear(listArea),
      declarationTable(t("console.list"), rows.slice(first, first + PAGE), { empty, after: () => poller.refreshLists(true) }),
      h("nav", { class: "pager", "aria-label": t("console.list") },
        h("span", { class: "summary", role: "status" }, rows.length
          ? t("paging.summary", { from: first + 1, to: Math.min(first + PAGE, rows.length), total: rows.length })
          : t("paging.empty")),
        h("span", {}, t("paging.size", { size: PAGE })),
        h("button", { type: "button", disabled: page === 0, onclick: () => { page -= 1; showList(); } }, t("paging.prev")),
        h("button", { type: "button", disabled: page >= pages - 1, onclick: () => { page += 1; showList(); } }, t("paging.next"))),
      poolTruncated ? h("p", { class: "note" }, t("console.pool_truncated")) : null);
  }

  function showHistory() {
    if (!execution) {
      clear(historyArea);
      return;
    }
    const columns = [
      { label: t("history.index"), keep: true, render: (b) => t("history.index_value", { index: b.index }) },
      { label: t("col.batch_no"), keep: true, render: (b) => copyable(b.batch_no, t("col.batch_no"), `#/batch/${b.batch_no}`) },
      { label: t("history.started"), sub: t("app.tz"), render: (b) => timeEl(b.started_at) },
      { label: t("history.claimed"), keep: true, render: (b) => (b.claimed ? b.claimed : t("history.nothing")) },
      { label: t("history.succeeded"), keep: true, render: (b) => b.succeeded },
      { label: t("history.failed"), keep: true, render: (b) => b.failed },
      { label: t("history.waiting"), render: (b) => b.waiting },
      { label: t("history.state"), keep: true, render: (b) => t(b.finished_at ? "history.finished" : "history.running") },
    ];
    append(clear(historyArea), h("h2", { id: "history-title" }, t("history.title")),
      table(t("history.title"), columns, history, { empty: t("history.empty") }));
  }

  function makePoller() {
    let timer = null;
    let delay = FAST_MS;
    let last = null;
    let listKey = null;
    let stopped = true;
    const p = {
      note: () => (document.hidden ? t("console.paused") : t("console.live", { seconds: Math.round(delay / 1000) })),
      start() {
        stopped = false;
        delay = FAST_MS;
        schedule(0);
      },
      stop() {
        stopped = true;
        clearTimeout(timer);
        countdown.close();
        document.removeEventListener("visibilitychange", onVisible);
      },
      /** History, the shown batch and the pool: read again only when the execution moved. */
      async refreshLists(force = false) {
        const e = execution;
        const key = e && JSON.stringify([e.current_batch_no, e.batch_succeeded, e.batch_failed, e.progress_percent,
          e.total_succeeded, e.total_failed, e.idle, e.status]);
        if (!force && key === listKey) return;
        listKey = key;
        if (e) {
          history = (await get(`/executions/${e.execution_id}/batches`)).items;
          const newest = history.find((b) => b.claimed > 0);
          shown = newest ? await get(`/batches/${newest.batch_no}`) : null;
          if (newest && newest.batch_no === e.current_batch_no && started?.batch_no !== newest.batch_no && shown.declarations.length) {
            started = { batch_no: newest.batch_no, seq_nos: shown.declarations.map((d) => d.seq_no) };
          }
        }
        await refreshPool();
        channel = await get("/customs/channel").catch(() => null); // the line says nothing rather than fail the screen
        showHistory();
        showExecution();
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
      if (execution.next_batch_at && !execution.idle) {
        const due = Date.parse(execution.next_batch_at) - Date.now() + 500;
        delay = Math.max(FAST_MS / 2, Math.min(delay, due > 0 ? due : FAST_MS));
      }
      showExecution();
      await p.refreshLists().catch(() => { listKey = null; }); // a batch just numbered may not be written yet: next tick
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

/** The countdown to the next batch, in a box of its own with 停止申报 (seed: 弹出倒计时的框). */
function countdownDialog(onStop) {
  const time = h("strong", { class: "countdown", "aria-live": "off" });
  const dialog = h("dialog", { class: "countdown-box", "aria-labelledby": "countdown-title" },
    h("p", { id: "countdown-title" }, t("console.countdown")),
    h("p", {}, time),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => hide() }, t("app.close")),
      h("button", { type: "button", class: "danger", onclick: () => onStop() }, t("console.stop"))));
  let due = null;
  let clock = null;
  let hiddenFor = null; // closed by the clerk: not again for this countdown
  function paint() {
    const left = Math.max(0, Math.round((Date.parse(due) - Date.now()) / 1000));
    time.textContent = left > 0
      ? `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`
      : t("console.countdown_due");
  }
  function hide() {
    hiddenFor = due;
    close();
  }
  function close() {
    clearInterval(clock);
    clock = null;
    if (dialog.open) dialog.close();
    dialog.remove();
  }
  return {
    open(at) {
      due = at;
      if (hiddenFor === at) return;
      if (!dialog.isConnected) document.body.append(dialog);
      if (!dialog.open) dialog.show(); // not modal: the page stays usable while it counts down
      paint();
      clearInterval(clock);
      clock = setInterval(paint, 1000);
    },
    close,
  };
}

/** Declarations of a batch or the pool as the seed lists them on the execution screen and the
 * batch console: number, bill, customs, flag, trade mode, batch, smart status (with the result and
 * reason), the log, tax status, last operation and the action that fits; failed ones can continue. */
function declarationTable(caption, rows, { empty, after }) {
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  const chosen = new Set();
  const failed = rows.filter((d) => d.smart_status === "failed");
  const marked = rows.map((d) => ({ ...d, __attrs: d.tax_status === "unconfirmed" ? { class: "tax-pending" } : {} }));
  const columns = [
    { label: t("col.select"), keep: true, render: (d) => (d.smart_status === "failed"
      ? h("input", { type: "checkbox", "aria-label": `${t("col.select")} ${d.seq_no}`, onchange: (e) => (e.target.checked ? chosen.add(d.seq_no) : chosen.delete(d.seq_no)) })
      : "") },
    { label: t("col.number"), keep: true, render: (d) => h("span", { class: "stack" },
      copyable(d.seq_no, t("col.number"), `#/declarations/${d.seq_no}`), d.entry_id ? copyable(d.entry_id, t("col.entry_id")) : null) },
    { label: t("col.bill_no"), render: (d) => d.bill_no || t("app.none") },
    { label: t("col.declare_customs"), render: (d) => codes.named("declare_customs", d.declare_customs) ?? t("app.none") },
    { label: t("col.ie_flag"), render: (d) => tOr(`ie.${d.ie_flag}`, t("app.none")) },
    { label: t("col.trade_mode"), render: (d) => codes.named("trade_mode", d.trade_mode) ?? t("app.none") },
    { label: t("col.batch_no"), render: (d) => (d.batch_no ? copyable(d.batch_no, t("col.batch_no"), `#/batch/${d.batch_no}`) : t("app.none")) },
    { label: t("col.smart_status"), keep: true, wrap: true, render: (d) => resultOf(d, lang) },
    { label: t("col.record"), keep: true, render: (d) => h("a", { href: `#/log/${d.seq_no}`, "aria-label": `${t("query.record")} ${d.seq_no}` }, t("query.record")) },
    { label: t("col.tax_status"), keep: true, render: (d) => tOr(`tax.${d.tax_status}`, t("app.none")) },
    { label: t("col.updated"), sub: t("app.tz"), fold: 2, render: (d) => timeEl(d.updated_at || d.at) },
    { label: t("col.actions"), keep: true, render: (d) => actionOf(d) },
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
    table(caption, columns, marked, { empty }),
    failed.length ? h("div", { class: "row" }, h("button", { type: "button", onclick: continueFailed }, t("query.continue"))) : null);
}

/** The smart status in words; in a batch, the result and its reason; a waiting one says why. */
function resultOf(d, lang) {
  const word = d.result && d.result !== "waiting" ? tOr(`console.result.${d.result}`, null) : null;
  const status = word || tOr(`smart.${d.smart_status}`, t("app.none"));
  // in progress with the Single Window client: where its message is says more than the batch's line
  const reason = d.smart_status === "pending" && d.waiting_reason
    ? tOr(`wait.${d.waiting_reason}`, null)
    : d.smart_status === "in_progress" && d.handover
      ? tOr(`handover.${d.handover}`, d.handover_label)
      : (lang === "en" ? d.reason_en : d.reason_zh);
  return h("span", { class: `result ${d.result || d.smart_status || ""}` }, status, reason ? h("small", { class: "reason" }, reason) : null);
}

function actionOf(d) {
  if (d.tax_status === "unconfirmed") return h("a", { href: `#/tax/${d.seq_no}` }, t("console.tax_confirm"));
  // the prompts and their confirmation are on the declaration's log (申报记录)
  if (d.waiting_reason === "advisory") return h("a", { href: `#/log/${d.seq_no}` }, t("log.advisories_confirm"));
  return t("app.none");
}

/** The console of one batch (智能申报台): counts and each declaration's result; failed ones can continue. */
export function batchConsole(batch, after) {
  return h("div", { class: "batch" },
    h("h2", {}, t("batch.title"), " ", copyable(batch.batch_no, t("col.batch_no"))),
    h("p", {}, t("batch.summary", { batch_no: batch.batch_no, claimed: batch.claimed, ok: batch.succeeded, failed: batch.failed, waiting: batch.waiting })),
    batch.config_names?.length ? h("p", {}, t("batch.configs", { names: batch.config_names.join(t("app.list_sep")) })) : null,
    declarationTable(t("console.batch_table"), batch.declarations.map((d) => ({ batch_no: batch.batch_no, ...d })), { empty: t("batch.empty"), after }));
}

export async function renderBatch(main, batchNo) {
  leave();
  await codes.load("declare_customs", "trade_mode");
  const batch = await get(`/batches/${batchNo}`);
  append(main, h("h1", {}, t("batch.title")), batchConsole(batch, () => { clear(main); renderBatch(main, batchNo); }));
}
