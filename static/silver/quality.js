"use strict";
(() => {
  const button = document.getElementById("run-check");
  if (!button) { return; }
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const result = await apiFetch("/api/silver/quality/check", {method: "POST", json: {tpa: button.dataset.tpa, table_name: button.dataset.table}});
      document.getElementById("check-result").textContent = result.message;
      setTimeout(() => window.location.reload(), 800);
    } catch (error) {
      document.getElementById("check-result").textContent = error.message;
      button.disabled = false;
    }
  });
})();
