// Small enhancements over pages that already work without JavaScript.

// Ask before destructive form posts marked with data-confirm.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Status selects on "my work" save as soon as they change; the Set button stays for no-JS use.
document.querySelectorAll("form[data-status-form] select[name=status]").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
});
