// On a phone the filter bar folds behind its "Filters" button, so a board or list shows its cards on the
// first screen; on a wide screen it stays open. A filter that was refused stays open to be corrected.
const filters = document.querySelector("details[data-filters]");

if (filters) {
  const phone = window.matchMedia("(max-width: 640px)");
  const refused = document.querySelector(".filters ~ .flash-error, details[data-filters] + script + .flash-error");
  const fold = () => { filters.open = !phone.matches || Boolean(refused); };
  fold();
  phone.addEventListener("change", fold);
}
