// Keyboard shortcuts for the common actions. The list is the <dialog id="shortcuts"> of base.html;
// the server renders where each shortcut goes as data-*-url attributes on <body>.
const { body } = document;
const dialog = document.getElementById("shortcuts");
const GOTO = { m: "myWorkUrl", b: "boardUrl", c: "calendarUrl" };
let waitingAfterG = null;

document.documentElement.classList.add("js");

function typing(target) {
  const element = target instanceof Element ? target : document.activeElement;
  return Boolean(element?.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])"));
}

function go(event, url) {
  if (!url) return;
  event.preventDefault();
  window.location.assign(url);
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (typing(event.target) || dialog?.open) return;
  if (waitingAfterG) {
    // The second key of "g m", "g b", "g c".
    clearTimeout(waitingAfterG);
    waitingAfterG = null;
    go(event, body.dataset[GOTO[event.key]]);
    return;
  }
  switch (event.key) {
    case "g":
      waitingAfterG = setTimeout(() => { waitingAfterG = null; }, 1500);
      break;
    case "n":
      go(event, body.dataset.newTaskUrl);
      break;
    case "/": {
      const search = document.querySelector("[data-shortcut='/']");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select?.();
      }
      break;
    }
    case "?":
      if (dialog) {
        event.preventDefault();
        dialog.showModal();
      }
      break;
    default:
  }
});
