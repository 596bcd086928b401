// Registration: preselect the browser's time zone, which stays editable. Without JavaScript the list starts
// on "Choose your time zone" and must be set, so nobody's deadlines land in UTC by accident.
const select = document.querySelector("select[data-browser-timezone]");
if (select && !select.value) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && Array.from(select.options).some((option) => option.value === zone)) {
    select.value = zone;
  }
}
