"use strict";
(() => {
  const run = document.getElementById("run");
  if (!run) { return; }
  const tpa = run.dataset.tpa, table = run.dataset.table;
  const query = `tpa=${encodeURIComponent(tpa)}&table_name=${encodeURIComponent(table)}`;
  const show = (text) => { document.getElementById("progress-text").textContent = text; };
  async function poll() {
    const [latest] = await apiFetch(`/api/silver/transform/history?${query}&limit=1`);
    if (latest && latest.STATUS === "RUNNING") {
      show(`${latest.PHASE} · ${latest.ROWS_READ || 0} records read`);
      document.getElementById("progress-bar").style.width = latest.PHASE === "LOADING" ? "66%" : "33%";
    }
  }
  const button = document.getElementById("run-button");
  if (button) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      document.getElementById("progress").hidden = false;
      const timer = setInterval(() => poll().catch(() => {}), 1000);
      try {
        const result = await apiFetch("/api/silver/transform", {method: "POST", json: {
          tpa, target_table: table, source_table: "RAW_DATA_TABLE",
          incremental: document.getElementById("incremental").checked,
          apply_rules: document.getElementById("apply-rules").checked}});
        document.getElementById("run-result").textContent = result.result;
        document.getElementById("progress-bar").style.width = "100%";
        setTimeout(() => window.location.reload(), 800);
      } catch (error) {
        document.getElementById("run-result").textContent = `ERROR: ${error.message}`;
        button.disabled = false;
      } finally { clearInterval(timer); }
    });
  }
  const form = document.getElementById("rule-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      try {
        data.parameters = data.parameters ? JSON.parse(data.parameters) : {};
        await apiFetch("/api/silver/rules", {method: "POST", json: Object.assign(data, {tpa, table_name: table})});
        window.location.reload();
      } catch (error) { document.getElementById("rule-error").textContent = error.message; }
    });
  }
  document.querySelectorAll(".toggle-rule").forEach((b) => b.addEventListener("click", async () => {
    await apiFetch(`/api/silver/rules/${b.dataset.rule}`, {method: "PUT", json: {active: b.dataset.active !== "true"}});
    window.location.reload();
  }));
  document.querySelectorAll(".delete-rule").forEach((b) => b.addEventListener("click", async () => {
    if (window.confirm("Delete this rule?")) {
      await apiFetch(`/api/silver/rules/${b.dataset.rule}`, {method: "DELETE"});
      window.location.reload();
    }
  }));
})();
