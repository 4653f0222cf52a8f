"use strict";
// Silver transform page: run the transform, show its phase while it runs, then reload with the new history.
(() => {
  const panel = document.getElementById("run"), button = document.getElementById("run-button");
  if (!panel || !button) { return; }
  const tpa = panel.dataset.tpa, table = panel.dataset.table;
  const query = `tpa=${encodeURIComponent(tpa)}&table_name=${encodeURIComponent(table)}`;
  const text = document.getElementById("progress-text"), bar = document.getElementById("progress-bar");
  const result = document.getElementById("run-result");
  async function poll() {
    const [latest] = await apiFetch(`/api/silver/transform/history?${query}&limit=1`);
    if (latest && latest.STATUS === "RUNNING") {
      text.textContent = `${latest.PHASE} · ${latest.ROWS_READ || 0} records read`;
      bar.style.width = latest.PHASE === "LOADING" ? "66%" : "33%";
    }
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    document.getElementById("progress").hidden = false;
    const timer = setInterval(() => poll().catch(() => {}), 1000);
    try {
      const body = await apiFetch("/api/silver/transform", {method: "POST", json: {
        tpa, target_table: table, source_table: "RAW_DATA_TABLE",
        incremental: document.getElementById("incremental").checked,
        apply_rules: document.getElementById("apply-rules").checked}});
      result.textContent = body.result;
      bar.style.width = "100%";
      flash(body.result, "success");
      window.location.reload();
    } catch (error) {
      result.textContent = `ERROR: ${error.message}`;
      button.disabled = false;
    } finally { clearInterval(timer); }
  });
})();
