// The console's one script (no framework, nothing external): conveniences only, every page
// works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // a period chooser shows the chosen month at once
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // "select all" in the review queue
  for (const box of document.querySelectorAll("input[data-select-all]")) {
    box.addEventListener("change", () => {
      const name = box.getAttribute("data-select-all");
      for (const item of box.form.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
        item.checked = box.checked;
      }
    });
  }
});
