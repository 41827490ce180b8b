// The reading list: studies picked from cards and study pages, kept in localStorage.
// Every page: the "Add to reading list" buttons and the count in the header.
// /reading-list: the list itself, with remove buttons and export links (/export?ids=…).
(function () {
  "use strict";
  var KEY = "kapkb:reading-list";

  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items.filter(function (i) { return i && typeof i.id === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(items));
    } catch (e) {
      announce("The reading list could not be saved: this browser blocks local storage.");
    }
    render();
  }

  function has(id) {
    return load().some(function (i) { return i.id === id; });
  }

  function add(item) {
    var items = load();
    if (!items.some(function (i) { return i.id === item.id; })) items.push(item);
    save(items);
  }

  function remove(id) {
    save(load().filter(function (i) { return i.id !== id; }));
  }

  function announce(text) {
    var status = document.querySelector("[data-rl-status]");
    if (status) status.textContent = text;
  }

  function itemFrom(button) {
    return {
      id: button.dataset.rlId,
      title: button.dataset.rlTitle || button.dataset.rlId,
      year: button.dataset.rlYear || "",
      journal: button.dataset.rlJournal || "",
      design: button.dataset.rlDesign || ""
    };
  }

  function renderButtons() {
    document.querySelectorAll("button[data-rl-id]").forEach(function (button) {
      var inList = has(button.dataset.rlId);
      button.hidden = false;
      button.setAttribute("aria-pressed", inList ? "true" : "false");
      button.textContent = inList ? "✓ In reading list (remove)" : "Add to reading list";
      button.classList.toggle("in-list", inList);
    });
  }

  function renderCount() {
    var n = load().length;
    document.querySelectorAll("[data-rl-count]").forEach(function (el) {
      el.textContent = String(n);
      el.hidden = n === 0;
      el.setAttribute("aria-label", n + (n === 1 ? " study" : " studies"));
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function renderPage() {
    var root = document.querySelector("[data-reading-list]");
    if (!root) return;
    var items = load();
    var list = root.querySelector("[data-rl-items]");
    list.replaceChildren();
    items.forEach(function (item) {
      var li = el("li", "rl-item");
      var link = el("a", "rl-title", item.title);
      link.href = "/studies/" + encodeURIComponent(item.id);
      var meta = el("p", "meta", [item.journal, item.year, item.design].filter(Boolean).join(" · "));
      var button = el("button", "secondary", "Remove");
      button.type = "button";
      button.setAttribute("aria-label", "Remove " + item.title + " from the reading list");
      button.addEventListener("click", function () {
        remove(item.id);
        announce("Removed " + item.title + ".");
      });
      li.append(link, meta, button);
      list.append(li);
    });
    root.querySelector("[data-rl-empty]").hidden = items.length > 0;
    root.querySelector("[data-rl-export]").hidden = items.length === 0;
    var ids = items.map(function (i) { return i.id; }).join(",");
    root.querySelectorAll("a[data-rl-format]").forEach(function (a) {
      a.href = "/export?ids=" + encodeURIComponent(ids) + "&format=" + encodeURIComponent(a.dataset.rlFormat);
    });
  }

  function render() {
    renderButtons();
    renderCount();
    renderPage();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-rl-id]");
    if (button) {
      var item = itemFrom(button);
      if (has(item.id)) {
        remove(item.id);
        announce("Removed from the reading list.");
      } else {
        add(item);
        announce("Added to the reading list.");
      }
      return;
    }
    if (event.target.closest("[data-rl-clear]")) {
      save([]);
      announce("The reading list is empty.");
    }
  });

  // Another tab changed the list: show the same state here.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) render();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
