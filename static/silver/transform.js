"use strict";
// Silver transform page: run the transform; its phases arrive on the event stream (the run history below
// re-renders live from the same events), and the result stays on the page as a message.
(() => {
  const panel = document.getElementById("run"), button = document.getElementById("run-button");
  if (!panel || !button) { return; }
  const tpa = panel.dataset.tpa, table = panel.dataset.table;
  const text = document.getElementById("progress-text"), bar = document.getElementById("progress-bar");
  const result = document.getElementById("run-result");
  const PHASE_WIDTH = {STAGING: "33%", LOADING: "66%", DONE: "100%"};
  document.addEventListener("medallion:event", (event) => {
    const {topic, event: change} = event.detail;
    if (topic !== "transform" || change.tpa !== tpa || change.table !== table) { return; }
    document.getElementById("progress").hidden = false;
    text.textContent = `${change.status} · ${change.phase} · ${(change.rows_read || 0).toLocaleString("en-US")} records read`;
    bar.style.width = PHASE_WIDTH[change.phase] || "10%";
  });
  button.addEventListener("click", async () => {
    button.disabled = true;
    result.textContent = "";
    document.getElementById("progress").hidden = false;
    try {
      const body = await apiFetch(panel.dataset.url, {method: "POST", json: {
        tpa, target_table: table, source_table: "RAW_DATA_TABLE",
        incremental: document.getElementById("incremental").checked,
        apply_rules: document.getElementById("apply-rules").checked}});
      result.textContent = body.result;
      bar.style.width = "100%";
      showMessage(body.result, "success");
    } catch (error) {
      result.textContent = `ERROR: ${error.message}`;
      showMessage(error.message, "error");
    } finally { button.disabled = false; }
  });
})();
