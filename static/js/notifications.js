// The unread count in the header follows new notifications without a page load: it asks the server
// every 30 seconds while the tab is visible, and at once when the tab comes back into view.
const link = document.querySelector("a[data-unread-url]");
const EVERY_MS = 30_000;

async function refresh() {
  if (document.hidden) return;
  const response = await fetch(link.dataset.unreadUrl, { headers: { Accept: "application/json" } })
    .catch(() => null);
  // Anything but JSON (the login page after the session ended, a network error) leaves it as it is.
  if (!response?.ok || !response.headers.get("Content-Type")?.includes("application/json")) return;
  const { unread } = await response.json();
  let badge = link.querySelector(".unread-count");
  if (!unread) {
    badge?.remove();
    return;
  }
  if (!badge) {
    badge = Object.assign(document.createElement("span"), { className: "unread-count" });
    link.append(" ", badge);
  }
  badge.textContent = unread;
  badge.setAttribute("aria-label", `${unread} unread`);
}

if (link) {
  setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", refresh);
}
