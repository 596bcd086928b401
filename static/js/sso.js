// Login page: the single sign-on link carries the browser's time zone, which an account created through
// the provider starts with (as registration preselects it). Without JavaScript: the provider's, or UTC.
// (A link, not a form: the page's CSP form-action 'self' would block a form's redirect to the provider.)
const link = document.querySelector("a[data-sso-start]");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (link && zone) {
  const url = new URL(link.href);
  url.searchParams.set("timezone", zone);
  link.href = url.toString();
}
