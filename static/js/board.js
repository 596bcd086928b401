// Drag and drop on the board: dropping a card on a column posts the same status form the
// "Move" buttons use, then moves the card. Without JavaScript those buttons do the job.
const board = document.querySelector("[data-board]");

if (board) {
  document.documentElement.classList.add("js");
  const csrf = board.dataset.csrf;
  let dragged = null;

  board.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li[data-task-id]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.taskId);
  });

  board.addEventListener("dragend", () => {
    dragged?.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  });

  board.addEventListener("dragover", (event) => {
    const column = event.target.closest(".column");
    if (!column || !dragged) return;
    event.preventDefault();
    board.querySelectorAll(".drop-target").forEach((c) => c !== column && c.classList.remove("drop-target"));
    column.classList.add("drop-target");
  });

  board.addEventListener("drop", async (event) => {
    const column = event.target.closest(".column");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const card = dragged;
    const status = column.dataset.status;
    if (card.closest(".column") === column) return;
    const body = new URLSearchParams({ csrf_token: csrf, status, version: card.dataset.version });
    const response = await fetch(`/tasks/${card.dataset.taskId}/status`, {
      method: "POST",
      headers: { Accept: "application/json" },
      body,
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      // Someone else changed the task meanwhile: show it where it really is now, ready to move again.
      const current = result.status && board.querySelector(`.column[data-status="${result.status}"]`);
      if (current && result.version) place(card, current, result);
      announce(result.error || "The card could not be moved.");
      return;
    }
    place(card, column, result);
    announce(`#${card.dataset.taskId} moved to ${status.replace("_", " ")}.`);
    if (result.undo) offerUndo(result.undo);
  });

  // Done can be taken back for a few seconds (tracker/undo.py): the pages' Undo form, made here.
  function offerUndo({ action, label, seconds }) {
    document.querySelector("#board-undo")?.remove();
    const form = Object.assign(document.createElement("form"), { id: "board-undo", method: "post", action });
    form.className = "undo-offer";
    for (const [name, value] of [["csrf_token", csrf], ["next", location.pathname + location.search]]) {
      form.append(Object.assign(document.createElement("input"), { type: "hidden", name, value }));
    }
    const button = Object.assign(document.createElement("button"), { type: "submit", className: "button small" });
    button.textContent = `Undo: ${label}`;
    form.append(button);
    board.before(form);
    setTimeout(() => form.remove(), seconds * 1000);
  }

  function place(card, column, { status, version }) {
    card.dataset.version = version;
    card.querySelectorAll("input[name=version]").forEach((input) => { input.value = version; });
    const select = card.querySelector("select[name=status]");
    if (select) select.value = status;
    const from = card.closest(".column");
    column.querySelector(".cards-column").prepend(card);
    if (from !== column) {
      // A column shows its first cards only; its count is of all of them, so it moves by one.
      count(from, -1);
      count(column, +1);
    }
  }

  function count(column, change) {
    const badge = column?.querySelector("h2 .count");
    if (badge) badge.textContent = Number(badge.textContent) + change;
  }

  function announce(message) {
    let region = document.querySelector("#board-status");
    if (!region) {
      region = document.createElement("p");
      region.id = "board-status";
      region.className = "flash";
      region.setAttribute("role", "status");
      board.before(region);
    }
    region.textContent = message;
  }
}
