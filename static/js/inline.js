// In-place edits (templates/tasks/_inline.html), bulk selection on the list, and the Undo offer.
// Every form here works without JavaScript; this module sends the in-place forms with fetch on an explicit
// choice (Save, Enter, or an option picked with the pointer — never on an arrow key), updates the page in
// place, keeps the focus where it was and announces the result in a live region.
document.documentElement.classList.add("js");

const region = (() => {
  let live = document.querySelector("#inline-status");
  if (!live) {
    live = document.createElement("div");
    live.id = "inline-status";
    live.className = "toast";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    document.querySelector("main")?.prepend(live);
  }
  return live;
})();

function announce(message, undo, csrf) {
  region.replaceChildren();
  const text = document.createElement("p");
  text.textContent = message;
  region.append(text);
  if (undo) region.append(undoForm(undo, csrf));
}

function undoForm(undo, csrf) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = undo.action;
  form.className = "undo-offer";
  form.dataset.undo = "";
  form.dataset.expires = new Date(Date.now() + undo.seconds * 1000).toISOString();
  for (const [name, value] of [["csrf_token", csrf], ["next", location.pathname + location.search]]) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "button small";
  button.textContent = `Undo: ${undo.label}`;
  form.append(button);
  expireLater(form);
  return form;
}

// Put a task's current values back into every in-place form of it on the page, with its new version.
function show(task) {
  document.querySelectorAll(`form[data-inline][data-task-id="${task.id}"]`).forEach((form) => {
    for (const name of ["status", "priority", "assignee_id", "due_date", "estimate_hours"]) {
      const control = form.elements[name];
      if (control && task[name] !== undefined) {
        control.value = task[name];
        control.removeAttribute("aria-invalid");
        control.dataset.saved = control.value;
        fieldOf(control)?.classList.remove("is-changed");
      }
    }
  });
  document.querySelectorAll(
    `[data-task-id="${task.id}"] input[name=version], input[data-version-of="${task.id}"]`,
  ).forEach((input) => { input.value = task.version; });
  document.querySelectorAll(`li[data-task-id="${task.id}"], article[data-task-id="${task.id}"]`)
    .forEach((card) => { card.dataset.version = task.version; });
  document.querySelectorAll(`[data-due-of="${task.id}"]`).forEach((due) => { due.textContent = task.due; });
}

async function send(form) {
  const fields = [...form.elements].filter((el) => el.matches("select, input:not([type=hidden])"));
  const control = fields.find((el) => fieldOf(el)?.classList.contains("is-changed")) || fields[0];
  const csrf = form.elements.csrf_token?.value;
  form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new FormData(form),
    });
    const result = await response.json().catch(() => ({}));
    if (response.ok) {
      show(result.task);
      announce([result.message, result.note].filter(Boolean).join(" "), result.undo, csrf);
    } else if (response.status === 409 && result.task) {
      show(result.task); // theirs stands; the control shows it, ready for another choice
      announce(result.error);
    } else {
      control?.setAttribute("aria-invalid", "true"); // what was typed stays, to be corrected
      announce(result.error || "The change could not be saved; reload the page and try again.");
    }
  } catch {
    announce("The change could not be sent; check the connection and try again.");
  } finally {
    form.removeAttribute("aria-busy");
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-inline]");
  if (!form || event.defaultPrevented) return;
  event.preventDefault();
  send(form);
});

// An option picked with the pointer is a choice; arrow keys only move through the options, and Enter
// (or the Save button) saves what they reached.
document.addEventListener("pointerdown", (event) => {
  const select = inlineSelect(event.target);
  if (select) select.dataset.pointer = "1";
});
document.addEventListener("keydown", (event) => {
  const select = inlineSelect(event.target);
  if (!select) return;
  delete select.dataset.pointer;
  if (event.key === "Enter") {
    event.preventDefault();
    select.form.requestSubmit();
  }
});
document.addEventListener("change", (event) => {
  const control = event.target;
  const form = inlineForm(control);
  if (form) {
    markChanged(control);
    if (control.tagName === "SELECT" && control.dataset.pointer) {
      delete control.dataset.pointer;
      form.requestSubmit();
    }
  }
  if (control.matches?.("[data-past-warning]")) pastWarning(control);
});
// As it is typed: a changed field shows its Save button (hidden while the field holds the saved value).
document.addEventListener("input", (event) => {
  if (inlineForm(event.target)) markChanged(event.target);
});
// A date typed in the past is said at once; one already saved shows as overdue where it is listed.
document.querySelectorAll("[data-past-warning]").forEach((input) => {
  if (input.value && input.value !== input.defaultValue) pastWarning(input);
});

// A board card's "Edit" is a link to the task page (its in-place forms work without a script); here it
// opens the card's own forms instead, fetched when first opened (the board does not carry them).
document.addEventListener("click", async (event) => {
  const link = event.target.closest?.("a[data-card-edit]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  if (link.getAttribute("aria-busy")) return;
  link.setAttribute("aria-busy", "true");
  const next = new URLSearchParams({ next: location.pathname + location.search });
  try {
    const response = await fetch(`${link.pathname}/card-edit?${next}`, { headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(String(response.status));
    const holder = document.createElement("template");
    holder.innerHTML = await response.text();
    const details = holder.content.querySelector("details.card-edit");
    if (!details) throw new Error("no form");
    link.replaceWith(details);
    details.querySelector("summary").focus(); // where "Edit" was, now open
  } catch {
    location.assign(link.href); // the task page's forms, as without a script
  }
});

// An in-place control's form: the one around it, or the row's form it is joined to (`form` attribute).
function inlineForm(control) {
  const form = control?.form;
  return form?.matches("form[data-inline]") ? form : null;
}

function inlineSelect(target) {
  return target?.tagName === "SELECT" && inlineForm(target) ? target : null;
}

// The field a control belongs to: its own small form, or its cell's wrapper in a list row.
function fieldOf(control) {
  return control.closest(".inline-edit");
}

// A field whose value differs from the saved one shows its Save button.
function markChanged(control) {
  const saved = control.dataset.saved ?? savedValue(control);
  fieldOf(control)?.classList.toggle("is-changed", control.value !== saved);
}

function savedValue(control) {
  if (control.tagName !== "SELECT") return control.defaultValue;
  return [...control.options].find((option) => option.defaultSelected)?.value ?? "";
}

// A deadline in the past is allowed (the server adds a note), but said before saving too.
function pastWarning(input) {
  const note = document.getElementById(`${input.id}-hint`) || document.getElementById(`${input.id}-note`);
  if (!note) return;
  note.dataset.hint ??= note.textContent;
  const today = new Date();
  const local = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
  note.textContent = input.value && input.value < local ? "This date is in the past: the task will show as overdue." : note.dataset.hint;
}

// A title's length as it is typed or pasted: the field never cuts it, the counter says when it is too long
// (the server refuses it then, keeping the text to shorten).
document.querySelectorAll("input[data-max-chars]").forEach((input) => {
  let hint = document.getElementById(`${input.id}-hint`);
  if (!hint) { // a refused title shows its error instead of the hint: the counter goes below it
    hint = document.createElement("p");
    hint.className = "hint";
    hint.id = `${input.id}-count`;
    input.closest(".field")?.append(hint);
  }
  const max = Number(input.dataset.maxChars);
  const count = () => {
    const over = input.value.length - max;
    hint.textContent = over > 0
      ? `${input.value.length} of ${max} characters: ${over} too many — shorten it before saving.`
      : `${input.value.length} of ${max} characters.`;
    hint.classList.toggle("error", over > 0);
  };
  input.addEventListener("input", count);
  count();
});

// The list: select all on this page, and how many are selected.
const selectAll = document.querySelector("[data-select-all]");
if (selectAll) {
  const boxes = () => [...document.querySelectorAll('input[type=checkbox][name=ids][form=bulk]')];
  const count = document.querySelector("[data-selected-count]");
  const update = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    selectAll.checked = ticked > 0 && ticked === boxes().length;
    selectAll.indeterminate = ticked > 0 && ticked < boxes().length;
    if (count) count.textContent = ticked ? `${ticked} selected` : "";
  };
  selectAll.hidden = false;
  selectAll.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = selectAll.checked; });
    update();
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches?.("input[name=ids]")) update();
  });
  update();
}

// An Undo offer goes away when its seconds are over (the server refuses it after that anyway).
function expireLater(form) {
  const left = Date.parse(form.dataset.expires) - Date.now();
  if (Number.isFinite(left)) setTimeout(() => form.remove(), Math.max(left, 0));
}
document.querySelectorAll("form[data-undo]").forEach(expireLater);

// A refused form comes back at its own anchor (#time-form, #checklist), where browsers skip autofocus:
// put the focus on the field to correct, as autofocus would have.
// (After the load: the browser's scroll to the anchor would take the focus away again.)
const toCorrect = document.querySelector("[autofocus][aria-invalid='true']");
if (toCorrect) {
  const focus = () => requestAnimationFrame(() => toCorrect.focus({ preventScroll: true }));
  if (document.readyState === "complete") focus();
  else window.addEventListener("load", focus, { once: true });
}
