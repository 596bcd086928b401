// The theme switch in the header applies the choice at once and lets the server remember it (a
// cookie) without a page load. Without JavaScript the same form posts and redirects back.
const form = document.querySelector("form[data-theme-switch]");

function apply(choice) {
  if (choice === "auto") {
    delete document.documentElement.dataset.theme;
  } else {
    document.documentElement.dataset.theme = choice;
  }
  form.querySelectorAll("button[name=theme]").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.value === choice));
  });
}

if (form) {
  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button || button.name !== "theme") return;
    event.preventDefault();
    apply(button.value);
    const body = new URLSearchParams(new FormData(form));
    body.set("theme", button.value);
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body,
    }).catch(() => null);
    if (!response || !response.ok) {
      // Let the ordinary form post try (and show its error page if the session expired).
      const field = Object.assign(document.createElement("input"), { type: "hidden", name: "theme", value: button.value });
      form.append(field);
      form.submit();
    }
  });
}
