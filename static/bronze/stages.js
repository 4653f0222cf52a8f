"use strict";
// Stages page: delete one staged file or the selected ones (delegated: the table re-renders live).
(() => {
  const bulk = document.getElementById("delete-selected");
  const table = () => document.getElementById("stage-files");
  const stage = () => table().dataset.stage;
  const picks = () => [...document.querySelectorAll(".pick:checked")].map((box) => box.value);
  document.addEventListener("change", (event) => {
    if (event.target.id === "select-all") {
      document.querySelectorAll(".pick").forEach((box) => { box.checked = event.target.checked; });
    }
    bulk.disabled = picks().length === 0;
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".delete-one");
    if (!button || !window.confirm(`Delete ${button.dataset.path} from stage ${stage()}?`)) { return; }
    runAction(() => apiFetch(`${table().dataset.filesUrl}?file_path=${encodeURIComponent(button.dataset.path)}`,
      {method: "DELETE"}), true);
  });
  bulk.addEventListener("click", () => {
    const paths = picks();
    if (!window.confirm(`Delete ${paths.length} file(s) from stage ${stage()}?`)) { return; }
    runAction(async () => {
      const result = await apiFetch(table().dataset.bulkDeleteUrl, {method: "POST", json: paths});
      for (const failed of result.results.failed) { flash(`${failed.file}: ${failed.error}`, "error"); }
      return result;
    }, true);
  });
})();
