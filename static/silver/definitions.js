"use strict";
// Silver schemas and mappings pages: bulk actions, row filters, the edit form, quality scores per table.
(function () {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-bulk]");
    if (!button) { return; }
    const rows = [...document.querySelectorAll("input.pick:checked")].map((box) => box.closest("tr").dataset);
    if (!rows.length) { showMessage("Select at least one mapping.", "error"); return; }
    const approve = button.dataset.bulk === "approve";
    if (!window.confirm(`${approve ? "Approve" : "Delete"} ${rows.length} mapping(s)?`)) { return; }
    runAction(async () => {
      const results = await Promise.allSettled(rows.map((row) => apiFetch(
        approve ? row.approveUrl : row.url, {method: approve ? "POST" : "DELETE"})));
      const failed = results.filter((result) => result.status === "rejected").length;
      if (failed) { throw new Error(`${failed} of ${rows.length} failed.`); }
      return {message: `${rows.length} mapping(s) ${approve ? "approved" : "deleted"}.`};
    }, true);
  });

  document.addEventListener("change", (event) => {
    if (event.target.id === "pick-all") {
      document.querySelectorAll("tr:not([hidden]) input.pick").forEach((box) => { box.checked = event.target.checked; });
    }
  });

  function applyFilters() {
    const search = (document.getElementById("mapping-search") || {}).value || "";
    const method = (document.getElementById("mapping-method") || {}).value || "";
    const state = (document.getElementById("mapping-state") || {}).value || "";
    const needle = search.trim().toLowerCase();
    document.querySelectorAll("tr[data-mapping]").forEach((row) => {
      const matches = (!needle || row.dataset.search.includes(needle))
        && (!method || row.dataset.method === method)
        && (!state || row.dataset.state === state || (state === "duplicate" && row.dataset.duplicate === "yes"));
      row.hidden = !matches;
    });
  }
  document.addEventListener("input", (event) => {
    if (event.target.closest("[data-filter]")) { applyFilters(); }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-edit-mapping]");
    if (!button) { return; }
    const form = document.getElementById("edit-mapping");
    const row = button.closest("tr");
    form.hidden = false;
    form.dataset.apiForm = row.dataset.url;
    form.elements.source_field.value = row.dataset.source;
    form.elements.target_column.value = row.dataset.target;
    form.elements.transformation_logic.value = row.dataset.expression || "";
    form.scrollIntoView({behavior: "smooth"});
  });

  document.addEventListener("DOMContentLoaded", async () => {
    const cells = document.querySelectorAll("[data-quality]");
    if (!cells.length) { return; }
    try {
      for (const row of await apiFetch(document.getElementById("quality-scores").dataset.url) || []) {
        const cell = document.querySelector(`[data-quality="${row.TPA}_${row.TARGET_TABLE}"]`);
        if (cell && row.QUALITY_SCORE !== null) { cell.textContent = `${row.QUALITY_SCORE.toFixed(1)}%`; }
      }
    } catch (error) { /* quality scores are optional here */ }
  });
})();
