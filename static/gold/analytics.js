document.getElementById("refresh-now")?.addEventListener("click", async (event) => {
  const button = event.target, status = document.getElementById("refresh-status");
  button.disabled = true; status.textContent = "Refreshing…";
  try {
    const tpa = button.dataset.tpa;
    const run = await apiFetch("/api/gold/refresh", {method: "POST", json: {tpa: tpa === "ALL" ? null : tpa, full: document.getElementById("refresh-full").checked}});
    status.textContent = `${run.status}: ${run.tpas_refreshed} TPA(s), ${run.months_refreshed} month(s) in ${run.duration_ms} ms`;
    window.location.reload();
  } catch (error) { status.textContent = error.message; button.disabled = false; }
});
