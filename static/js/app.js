// Small enhancements over pages that already work without JavaScript.

// Ask before destructive form posts marked with data-confirm.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// "/" focuses the search field when the user is not typing somewhere else.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const tag = document.activeElement?.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
  const search = document.querySelector("[data-shortcut='/']");
  if (search) {
    event.preventDefault();
    search.focus();
  }
});

// Status selects on "my work" save as soon as they change; the Set button stays for no-JS use.
document.querySelectorAll("form[data-status-form] select[name=status]").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
});
