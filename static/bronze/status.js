"use strict";
// Processing status: each loaded file's reconciliation verdict on its link, after the first load and after
// every live re-render of the queue; a loaded file's verdict does not change, so each is asked for once.
const MAX_VERDICTS = 200;  // what /api/bronze/files/reconciliation answers at once
const knownVerdicts = new Map();
function applyVerdict(link, found) {
  link.textContent = found.balanced ? "Balanced" : "Unbalanced";
  link.title = found.verdict;
  link.className = `badge ${found.balanced ? "ok" : "bad"}`;
}
async function showVerdicts() {
  const links = [...document.querySelectorAll("[data-reconcile]")];
  const missing = [...new Set(links.map((a) => a.dataset.reconcile))].filter((id) => !knownVerdicts.has(id));
  if (missing.length) {
    try {
      const verdicts = await apiFetch(`${document.getElementById("status-title").dataset.verdicts}?ids=${missing.slice(0, MAX_VERDICTS).join(",")}`);
      for (const [id, found] of Object.entries(verdicts)) { knownVerdicts.set(id, found); }
    } catch (error) { /* the links still open each file's reconciliation */ }
  }
  for (const link of links) {
    const found = knownVerdicts.get(link.dataset.reconcile);
    if (found) { applyVerdict(link, found); }
  }
}
document.addEventListener("DOMContentLoaded", showVerdicts);
document.addEventListener("htmx:after:swap", showVerdicts);
