// Mention suggestions in comment boxes: typing "@" and a few letters lists the members of the task's
// team (from the box's data-mentions address) in a listbox under the box, as an ARIA combobox. ↑/↓ choose,
// Enter or Tab inserts "@Name ", Escape closes; a click inserts too. Without JavaScript, "@name" typed in
// full works the same (the server finds mentions in the text).
const MENTION = /(^|[\s(\[{<>"'*_~,;])@([^\s@]{0,30})$/;

let boxes = 0;

for (const box of document.querySelectorAll("textarea[data-mentions]")) {
  enhance(box);
}

function enhance(box) {
  boxes += 1;
  const list = document.createElement("ul");
  list.id = `mentions-${boxes}`;
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "People to mention");
  list.hidden = true;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  box.after(list, status);
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");

  let people = [];
  let active = -1;
  let asking = null;
  let token = null; // {start, end}: where "@query" sits in the text

  box.addEventListener("input", () => suggest());
  box.addEventListener("blur", () => setTimeout(close, 150));
  box.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + people.length) % people.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
      event.preventDefault();
      insert(people[active]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  list.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the box
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) insert(people[Number(option.dataset.index)]);
  });

  async function suggest() {
    const before = box.value.slice(0, box.selectionStart);
    const match = MENTION.exec(before);
    if (!match) {
      close();
      return;
    }
    token = { start: before.length - match[2].length - 1, end: box.selectionStart };
    asking?.abort();
    asking = new AbortController();
    const url = `${box.dataset.mentions}?q=${encodeURIComponent(match[2])}`;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, signal: asking.signal });
      if (!response.ok) return close();
      show((await response.json()).items || []);
    } catch (error) {
      if (error.name !== "AbortError") close();
    }
  }

  function show(found) {
    people = found;
    list.replaceChildren(...found.map((person, index) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.index = index;
      option.textContent = person.name;
      return option;
    }));
    if (!found.length) {
      close();
      status.textContent = "Nobody in this team by that name.";
      return;
    }
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(0);
    status.textContent = `${found.length} ${found.length === 1 ? "person" : "people"} to mention; arrows to choose, Enter to insert.`;
  }

  function highlight(index) {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === index));
      option.classList.toggle("active", i === index);
    });
    box.setAttribute("aria-activedescendant", `${list.id}-${index}`);
  }

  function insert(person) {
    if (!person || !token) return;
    const text = `@${person.name} `;
    box.setRangeText(text, token.start, token.end, "end");
    close();
    status.textContent = `${person.name} mentioned.`;
    box.focus();
  }

  function close() {
    list.hidden = true;
    people = [];
    active = -1;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }
}
