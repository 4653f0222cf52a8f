"use strict";
// Processing status: each loaded file's reconciliation verdict on its link, after the first load and after
// every live re-render of the queue.
const MAX_VERDICTS = 200;  // what /api/bronze/files/reconciliation answers at once
async function showVerdicts() {
  const links = [...document.querySelectorAll("[data-reconcile]")].slice(0, MAX_VERDICTS);
  if (!links.length) { return; }
  try {
    const verdicts = await apiFetch(`/api/bronze/files/reconciliation?ids=${links.map((a) => a.dataset.reconcile).join(",")}`);
    for (const link of links) {
      const found = verdicts[link.dataset.reconcile];
      if (found) {
        link.textContent = found.balanced ? "Balanced" : "Unbalanced";
        link.title = found.verdict;
        link.className = `badge ${found.balanced ? "ok" : "bad"}`;
      }
    }
  } catch (error) { /* the links still open each file's reconciliation */ }
}
document.addEventListener("DOMContentLoaded", showVerdicts);
document.addEventListener("htmx:after:swap", showVerdicts);
