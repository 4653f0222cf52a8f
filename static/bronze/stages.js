"use strict";
(() => {
  const stage = document.currentScript.dataset.stage, bulk = document.getElementById("delete-selected"), note = document.getElementById("stage-note");
  const picks = () => [...document.querySelectorAll(".pick:checked")].map((box) => box.value);
  document.addEventListener("change", () => { bulk.disabled = picks().length === 0; });
  document.getElementById("select-all").addEventListener("change", (event) => {
    document.querySelectorAll(".pick").forEach((box) => { box.checked = event.target.checked; });
    bulk.disabled = picks().length === 0;
  });
  document.querySelectorAll(".delete-one").forEach((b) => b.addEventListener("click", async () => {
    if (!window.confirm(`Delete ${b.dataset.path} from stage ${stage}?`)) { return; }
    try { await apiFetch(`/api/bronze/stages/${stage}/files?file_path=${encodeURIComponent(b.dataset.path)}`, {method: "DELETE"}); window.location.reload(); }
    catch (error) { window.alert(error.message); }
  }));
  bulk.addEventListener("click", async () => {
    const paths = picks();
    if (!window.confirm(`Delete ${paths.length} file(s) from stage ${stage}?`)) { return; }
    try {
      const result = await apiFetch(`/api/bronze/stages/${stage}/files/bulk-delete`, {method: "POST", json: paths});
      note.textContent = result.message;
      if (result.results.failed.length) { window.alert(result.results.failed.map((f) => `${f.file}: ${f.error}`).join("\n")); }
      window.location.reload();
    } catch (error) { window.alert(error.message); }
  });
})();
