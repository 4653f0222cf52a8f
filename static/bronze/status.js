"use strict";
(() => {
  const page = document.currentScript.dataset;
  const canWrite = page.canWrite === "true", isAdmin = page.isAdmin === "true";
  const filters = new URLSearchParams();
  for (const [name, value] of [["tpa", page.tpa], ["status", page.status], ["file_type", page.fileType]]) {
    if (value) { filters.set(name, value); }
  }
  const body = document.getElementById("queue-rows"), note = document.getElementById("refresh-note");
  const when = (value) => value ? new Date(value).toISOString().replace("T", " ").slice(0, 19) : "";
  function cell(row, text, className) { const td = row.insertCell(); td.textContent = text ?? ""; if (className) { td.className = className; } return td; }
  function button(td, label, action, danger) { const b = document.createElement("button"); b.textContent = label; if (danger) { b.className = "danger"; } b.addEventListener("click", action); td.appendChild(b); }
  function render(rows) {
    body.replaceChildren();
    if (!rows.length) { const tr = body.insertRow(); const td = cell(tr, "No files in the queue.", "empty"); td.colSpan = 10; return; }
    for (const entry of rows) {
      const tr = body.insertRow();
      cell(tr, entry.FILE_NAME); cell(tr, entry.TPA); cell(tr, entry.FILE_TYPE);
      const badge = document.createElement("span"); badge.className = `badge ${entry.STATUS}`; badge.textContent = entry.STATUS;
      const statusCell = tr.insertCell(); statusCell.appendChild(badge);
      if (entry.STUCK) { const stuck = document.createElement("span"); stuck.className = "badge FAILED stuck"; stuck.textContent = "stuck"; stuck.title = "Its worker stopped sending heartbeats"; statusCell.append(" ", stuck); }
      cell(tr, when(entry.DISCOVERED_TIMESTAMP)); cell(tr, when(entry.PROCESSED_TIMESTAMP)); cell(tr, entry.ROWS_LOADED);
      const result = cell(tr, entry.STATUS === "FAILED" ? entry.ERROR_MESSAGE : entry.PROCESS_RESULT, "result");
      if (entry.STATUS === "FAILED") { result.classList.add("error"); }
      const reconcile = tr.insertCell();
      if (entry.STATUS === "SUCCESS") {
        const link = document.createElement("a"); link.href = `/bronze/files/${entry.QUEUE_ID}/reconciliation`; link.textContent = "Reconcile";
        link.dataset.reconcile = entry.QUEUE_ID; reconcile.appendChild(link);
      }
      const actions = tr.insertCell();
      if (canWrite && entry.STATUS === "FAILED") { button(actions, "Reprocess", () => act(`/api/bronze/reprocess/${entry.QUEUE_ID}`, "POST")); }
      if (isAdmin && entry.STATUS === "SUCCESS") {
        button(actions, "Delete data", () => {
          if (window.confirm(`Delete the ${entry.ROWS_LOADED} loaded rows of ${entry.FILE_NAME}?`)) {
            act(`/api/bronze/data/file/${encodeURIComponent(entry.FILE_NAME)}?tpa=${encodeURIComponent(entry.TPA)}`, "DELETE");
          }
        }, true);
      }
    }
  }
  async function act(path, method) {
    try { const result = await apiFetch(path, {method}); note.textContent = result.message; } catch (error) { window.alert(error.message); }
    refresh();
  }
  async function showVerdicts() {
    const links = [...document.querySelectorAll("[data-reconcile]")];
    if (!links.length) { return; }
    const verdicts = await apiFetch(`/api/bronze/files/reconciliation?ids=${links.map((a) => a.dataset.reconcile).join(",")}`);
    for (const link of links) {
      const found = verdicts[link.dataset.reconcile];
      if (found) { link.textContent = found.balanced ? "Balanced" : "Unbalanced"; link.title = found.verdict; link.className = `badge ${found.balanced ? "ok" : "bad"}`; }
    }
  }
  let timer = null;
  async function refresh() {
    clearTimeout(timer);
    try {
      const [rows, summary] = await Promise.all([
        apiFetch(`/api/bronze/queue?${filters}`),
        apiFetch(`/api/bronze/status?${filters.has("tpa") ? "tpa=" + encodeURIComponent(filters.get("tpa")) : ""}`),
      ]);
      render(rows);
      showVerdicts();
      const counts = {};
      for (const row of summary) { counts[row.STATUS] = (counts[row.STATUS] || 0) + row.FILE_COUNT; }
      document.querySelectorAll("[data-count]").forEach((el) => {
        const key = el.dataset.count; el.textContent = key === "TOTAL" ? Object.values(counts).reduce((a, b) => a + b, 0) : (counts[key] || 0);
      });
      const finished = (counts.SUCCESS || 0) + (counts.FAILED || 0);
      document.getElementById("success-rate").textContent = finished ? `${(100 * (counts.SUCCESS || 0) / finished).toFixed(1)}%` : "–";
      const busy = (counts.PENDING || 0) + (counts.PROCESSING || 0) > 0;
      note.textContent = busy ? "Refreshing every 2 s while files are pending or processing…" : "";
      if (busy) { timer = setTimeout(refresh, 2000); }
    } catch (error) { note.textContent = error.message; timer = setTimeout(refresh, 5000); }
  }
  refresh();
})();
