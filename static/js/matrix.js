// Drag and drop in the Eisenhower matrix. Dropping a card on another quadrant posts that card's own
// "Move to…" form: at once when only the priority changes; when the deadline must change too (across
// the urgent axis) the form opens with the quadrant chosen and the date field focused, so the person
// picks the date. Without JavaScript (or by keyboard) the same form does the job.
const matrix = document.querySelector("[data-matrix]");

if (matrix) {
  const status = document.querySelector("#matrix-status");
  let dragged = null;

  matrix.querySelectorAll("li.matrix-card").forEach((card) => { card.draggable = true; });

  matrix.addEventListener("dragstart", (event) => {
    dragged = event.target.closest?.("li.matrix-card");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.taskId);
  });

  matrix.addEventListener("dragend", () => {
    dragged?.classList.remove("dragging");
    matrix.querySelectorAll(".drop-target").forEach((q) => q.classList.remove("drop-target"));
  });

  matrix.addEventListener("dragover", (event) => {
    const quadrant = event.target.closest(".quadrant");
    if (!quadrant || !dragged) return;
    event.preventDefault();
    matrix.querySelectorAll(".drop-target").forEach((q) => q !== quadrant && q.classList.remove("drop-target"));
    quadrant.classList.add("drop-target");
  });

  matrix.addEventListener("drop", async (event) => {
    const quadrant = event.target.closest(".quadrant");
    if (!quadrant || !dragged) return;
    event.preventDefault();
    quadrant.classList.remove("drop-target");
    const card = dragged;
    const from = card.closest(".quadrant");
    if (from === quadrant) return;
    const form = card.querySelector("form.quadrant-form");
    form.elements.quadrant.value = quadrant.dataset.quadrant;
    if (from.dataset.urgent !== quadrant.dataset.urgent) {
      askForDate(card, form, quadrant);
      return;
    }
    await move(card, form, quadrant);
  });

  // A "Move" pressed in an open form is sent by fetch too, so the page keeps its place.
  matrix.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.quadrant-form");
    if (!form) return;
    const quadrant = matrix.querySelector(`.quadrant[data-quadrant="${form.elements.quadrant.value}"]`);
    event.preventDefault();
    await move(form.closest("li.matrix-card"), form, quadrant);
  });

  function askForDate(card, form, quadrant) {
    const details = card.querySelector("details.move-quadrant");
    details.open = true;
    const due = form.elements.due;
    due.focus();
    say(`To move #${card.dataset.taskId} to ${quadrant.dataset.title}, pick its new deadline, then press Move.`);
  }

  async function move(card, form, quadrant) {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 422) {
        card.querySelector("details.move-quadrant").open = true;
        form.elements.due.focus();
      }
      say(result.error || "The task could not be moved; reload the page to see it as it is now.");
      return;
    }
    const from = card.closest(".quadrant");
    card.dataset.version = result.version;
    card.querySelectorAll("input[name=version]").forEach((input) => { input.value = result.version; });
    card.querySelector("details.move-quadrant").open = false;
    form.elements.due.value = "";
    // The quick action of the old quadrant (delegate to, start on) does not belong in the new one.
    card.querySelectorAll(".quadrant-quick").forEach((quick) => quick.remove());
    quadrant.querySelector(".matrix-cards").prepend(card);
    card.dataset.quadrant = quadrant.dataset.quadrant;
    quadrant.querySelector(".matrix-empty")?.remove();
    count(from, -1);
    count(quadrant, +1);
    say(`#${card.dataset.taskId} moved to ${quadrant.dataset.title}.`);
    card.querySelector("summary").focus();
  }

  function count(quadrant, change) {
    const badge = quadrant?.querySelector("h2 .count");
    if (badge) badge.textContent = Number(badge.textContent) + change;
  }

  function say(message) {
    status.textContent = message;
  }
}
