document.addEventListener("DOMContentLoaded", async () => {
  try {
    const rows = await apiFetch("/api/silver/quality/summary");
    for (const row of rows || []) {
      const cell = document.querySelector(`[data-quality="${row.TPA}_${row.TARGET_TABLE}"]`);
      if (cell && row.QUALITY_SCORE !== null) { cell.textContent = `${row.QUALITY_SCORE.toFixed(1)}%`; }
    }
  } catch (error) { /* quality scores are optional here */ }
});
