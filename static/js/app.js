// Small enhancements over pages that already work without JavaScript.

// Ask before destructive form posts marked with data-confirm.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Status selects on "my work" save on an explicit choice only: an option picked with the pointer, Enter,
// or the Set button. Arrow keys move through the statuses without saving each one on the way.
document.querySelectorAll("form[data-status-form] select[name=status]").forEach((select) => {
  let picked = false;
  select.addEventListener("pointerdown", () => { picked = true; });
  select.addEventListener("keydown", (event) => {
    picked = false;
    if (event.key === "Enter") {
      event.preventDefault();
      select.form.requestSubmit();
    }
  });
  select.addEventListener("change", () => {
    if (picked) select.form.requestSubmit();
    picked = false;
  });
});
