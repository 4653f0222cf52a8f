document.getElementById("run-checks")?.addEventListener("click", async (event) => {
  const button = event.target, status = document.getElementById("run-status");
  button.disabled = true; status.textContent = "Running…";
  try {
    const tpa = button.dataset.tpa;
    const result = await apiFetch("/api/gold/quality/run", {method: "POST", json: {tpa: tpa === "ALL" ? null : tpa}});
    status.textContent = result.message; window.location.reload();
  } catch (error) { status.textContent = error.message; button.disabled = false; }
});
