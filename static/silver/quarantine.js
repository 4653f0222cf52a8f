"use strict";
(() => {
  const box = document.getElementById("quarantine");
  if (!box) { return; }
  document.querySelectorAll("button.release").forEach((button) => button.addEventListener("click", async () => {
    button.disabled = true;
    const body = {tpa: box.dataset.tpa, table_name: box.dataset.table};
    if (button.dataset.ids) { body.record_ids = [Number(button.dataset.ids)]; }
    try {
      const result = await apiFetch("/api/silver/quarantine/release", {method: "POST", json: body});
      document.getElementById("release-result").textContent = result.result;
      setTimeout(() => window.location.reload(), 800);
    } catch (error) {
      document.getElementById("release-result").textContent = error.message;
      button.disabled = false;
    }
  }));
})();
