// The reading list: studies picked from cards and study pages, kept in localStorage.
// Every page: the "Add to reading list" buttons and the count in the header.
// Search results: "Add all N results", which pages through /api/search for every result.
// /reading-list: the list in the reader's order, a note per study, move up/down, remove with
// undo, and an export form that POSTs the ids (in order) and the notes to /export.
(function () {
  "use strict";
  var KEY = "kapkb:reading-list";
  var UNDO_MS = 10000;     // how long "Removed …. Undo" stays (it waits while keyboard focus or the pointer is on it)
  var NOTE_DELAY_MS = 400; // save a note this long after the last keystroke
  var API_PAGE = 100;      // the largest page /api/search gives
  var MAX_ADD = 1000;      // /export takes at most 1,000 ids

  // --- storage ---------------------------------------------------------------------------

  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items.filter(function (i) { return i && typeof i.id === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  function write(items) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(items));
      return true;
    } catch (e) {
      announce("The reading list could not be saved: this browser blocks local storage.");
      return false;
    }
  }

  // Every change goes through here: the pending note first, so a move or removal never loses it.
  function update(change) {
    flushNote();
    var items = load();
    var result = change(items);
    write(items);
    render();
    return result;
  }

  function indexOf(items, id) {
    for (var i = 0; i < items.length; i++) if (items[i].id === id) return i;
    return -1;
  }

  function has(id) {
    return indexOf(load(), id) >= 0;
  }

  // --- notes: saved while typing, without re-rendering under the reader's cursor ---------------

  var pending = null; // {id, text, timer}

  function queueNote(id, text) {
    if (pending && pending.id !== id) flushNote();
    if (pending) window.clearTimeout(pending.timer);
    pending = { id: id, text: text, timer: window.setTimeout(flushNote, NOTE_DELAY_MS) };
  }

  function flushNote() {
    if (!pending) return;
    var note = pending;
    pending = null;
    window.clearTimeout(note.timer);
    var items = load();
    var i = indexOf(items, note.id);
    if (i < 0) return;
    items[i].note = note.text;
    if (write(items)) {
      var saved = document.querySelector('[data-rl-saved="' + CSS.escape(note.id) + '"]');
      if (saved) saved.textContent = "Saved";
    }
  }

  // --- announcements -----------------------------------------------------------------------

  function announce(text) {
    var status = document.querySelector("[data-rl-status]");
    if (status) status.textContent = text;
  }

  // --- every page: toggle buttons and the header count --------------------------------------

  function itemFrom(data) {
    return {
      id: data.rlId,
      title: data.rlTitle || data.rlId,
      year: data.rlYear || "",
      journal: data.rlJournal || "",
      design: data.rlDesign || ""
    };
  }

  function renderButtons(items) {
    document.querySelectorAll("button[data-rl-id]").forEach(function (button) {
      var inList = indexOf(items, button.dataset.rlId) >= 0;
      button.hidden = false;
      button.setAttribute("aria-pressed", inList ? "true" : "false");
      button.textContent = inList ? "✓ In reading list (remove)" : "Add to reading list";
      button.classList.toggle("in-list", inList);
    });
    document.querySelectorAll("button[data-rl-add-all]").forEach(function (button) { button.hidden = false; });
  }

  function renderCount(items) {
    var n = items.length;
    document.querySelectorAll("[data-rl-count]").forEach(function (el) {
      el.textContent = String(n);
      el.hidden = n === 0;
      el.setAttribute("aria-label", n + (n === 1 ? " study" : " studies"));
    });
  }

  // --- search results: add every result of the search -------------------------------------------

  // All results, not only the page on screen: the API pages through them in the page's sort order.
  function fetchResults(query, sort) {
    var found = [];
    function page(offset) {
      var params = new URLSearchParams({ q: query, sort: sort, limit: String(API_PAGE), offset: String(offset) });
      return fetch("/api/search?" + params, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          data.results.forEach(function (r) { if (r.kind === "study") found.push(r); });
          var next = offset + data.results.length;
          return data.results.length && next < Math.min(data.total, MAX_ADD) ? page(next) : found;
        });
    }
    return page(0);
  }

  function addAll(button) {
    if (button.getAttribute("aria-disabled") === "true") return; // already adding
    var status = document.querySelector("[data-rl-add-all-status]");
    function say(text) { if (status) status.textContent = text; }
    button.setAttribute("aria-disabled", "true");
    say("Adding the results…");
    fetchResults(button.dataset.rlQuery, button.dataset.rlSort || "evidence")
      .then(function (results) {
        var added = update(function (items) {
          var n = 0;
          results.forEach(function (r) {
            if (indexOf(items, r.id) >= 0) return;
            items.push({ id: r.id, title: r.title || r.id, year: r.year ? String(r.year) : "",
                         journal: r.journal || "", design: r.design || "" });
            n++;
          });
          return n;
        });
        var already = results.length - added;
        var text = added ? "Added " + plural(added, "study", "studies") + " to the reading list" : "Nothing added";
        if (already) text += "; " + plural(already, "was", "were") + " already in it";
        say(text + ". The list now holds " + plural(load().length, "study", "studies") + ".");
      })
      .catch(function () {
        say("The results could not be added: the server did not answer. Try again.");
      })
      .then(function () { button.removeAttribute("aria-disabled"); });
  }

  // plural(2, "study", "studies") → "2 studies"; plural(1, "was", "were") → "1 was".
  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  // --- the /reading-list page ----------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // A button that says what it does to which study; data-rl-key lets focus follow it through a re-render.
  function toolButton(action, id, visible, label, extraClass) {
    var button = el("button", "secondary " + (extraClass || ""));
    button.type = "button";
    button.dataset.rlAction = action;
    button.dataset.rlItem = id;
    button.dataset.rlKey = action + ":" + id;
    button.setAttribute("aria-label", label);
    button.append(visible);
    return button;
  }

  function itemNode(item, index, count) {
    var li = el("li", "rl-item");
    li.dataset.rlItem = item.id;

    var head = el("div", "rl-head");
    var link = el("a", "rl-title", item.title);
    link.href = "/studies/" + encodeURIComponent(item.id);
    head.append(link, el("p", "meta", [item.journal, item.year, item.design].filter(Boolean).join(" · ")));

    var tools = el("div", "rl-tools");
    var up = toolButton("up", item.id, "↑ Up", "Move " + item.title + " up", "rl-move");
    var down = toolButton("down", item.id, "↓ Down", "Move " + item.title + " down", "rl-move");
    // aria-disabled, not disabled: a button that just moved to the end keeps keyboard focus.
    if (index === 0) up.setAttribute("aria-disabled", "true");
    if (index === count - 1) down.setAttribute("aria-disabled", "true");
    tools.append(up, down, toolButton("remove", item.id, "Remove", "Remove " + item.title + " from the reading list", "danger"));

    var note = el("div", "rl-note");
    var label = el("label", null, "Note");
    label.htmlFor = "rl-note-" + index;
    label.append(el("span", "visually-hidden", " for " + item.title));
    var area = el("textarea");
    area.id = "rl-note-" + index;
    area.rows = 2;
    area.maxLength = 2000;
    area.dataset.rlNote = item.id;
    area.dataset.rlKey = "note:" + item.id;
    area.value = pending && pending.id === item.id ? pending.text : item.note || "";
    var saved = el("span", "rl-saved");
    saved.dataset.rlSaved = item.id;
    note.append(label, area, saved);

    li.append(head, tools, note);
    return li;
  }

  function renderPage(items) {
    var root = document.querySelector("[data-reading-list]");
    if (!root) return;
    // Rebuilding the list would drop focus: remember which control had it, and give it back.
    var active = document.activeElement;
    var key = active && root.contains(active) ? active.dataset.rlKey : null;
    var caret = key && active.tagName === "TEXTAREA" ? [active.selectionStart, active.selectionEnd] : null;

    var list = root.querySelector("[data-rl-items]");
    list.replaceChildren.apply(list, items.map(function (item, i) { return itemNode(item, i, items.length); }));
    root.querySelector("[data-rl-empty]").hidden = items.length > 0;
    root.querySelector("[data-rl-filled]").hidden = items.length === 0;

    if (key) {
      var again = root.querySelector('[data-rl-key="' + CSS.escape(key) + '"]');
      if (again) {
        again.focus();
        if (caret) again.setSelectionRange(caret[0], caret[1]);
      }
    }
  }

  function render() {
    var items = load();
    renderButtons(items);
    renderCount(items);
    renderPage(items);
  }

  function titleOf(id) {
    var items = load();
    var i = indexOf(items, id);
    return i >= 0 ? items[i].title : id;
  }

  function move(id, by) {
    var moved = update(function (items) {
      var from = indexOf(items, id);
      var to = from + by;
      if (from < 0 || to < 0 || to >= items.length) return null;
      items.splice(to, 0, items.splice(from, 1)[0]);
      return { position: to + 1, of: items.length };
    });
    announce(moved ? "Moved " + titleOf(id) + " to position " + moved.position + " of " + moved.of + "."
                   : titleOf(id) + " is already " + (by < 0 ? "first." : "last."));
  }

  // --- remove and clear, with undo ----------------------------------------------------------

  var undo = { restore: null, timer: null, paused: false };

  function offerUndo(text, restore) {
    var bar = document.querySelector("[data-rl-undo]");
    if (!bar) return;
    undo.restore = restore;
    bar.querySelector("[data-rl-undo-text]").textContent = text;
    bar.hidden = false;
    // Focus goes to Undo: the control just pressed is gone, and Enter undoes at once.
    var button = bar.querySelector("[data-rl-undo-button]");
    button.focus();
    // A keyboard user is on the bar now: it waits until focus leaves. After a click, it counts down.
    undo.paused = button.matches(":focus-visible");
    startUndoTimer();
  }

  function startUndoTimer() {
    window.clearTimeout(undo.timer);
    if (!undo.paused) undo.timer = window.setTimeout(closeUndo, UNDO_MS);
  }

  function closeUndo() {
    window.clearTimeout(undo.timer);
    undo.restore = null;
    var bar = document.querySelector("[data-rl-undo]");
    if (!bar || bar.hidden) return;
    var hadFocus = bar.contains(document.activeElement);
    bar.hidden = true;
    if (hadFocus) document.getElementById("rl-title").focus();
  }

  function removeItem(id) {
    var removed = update(function (items) {
      var i = indexOf(items, id);
      return i < 0 ? null : { item: items.splice(i, 1)[0], index: i };
    });
    if (!removed) return;
    offerUndo("Removed " + removed.item.title + ".", function () {
      update(function (items) {
        if (indexOf(items, id) < 0) items.splice(Math.min(removed.index, items.length), 0, removed.item);
      });
      focusKey("remove:" + id);
      announce("Put back " + removed.item.title + " at position " + (indexOf(load(), id) + 1) + ", with its note.");
    });
  }

  function clearAll() {
    flushNote();
    var before = load();
    if (!before.length) return;
    update(function (items) { items.length = 0; });
    offerUndo("Cleared the reading list (" + plural(before.length, "study", "studies") + ").", function () {
      update(function (items) {
        // Anything added since (in another tab) stays, after the restored list.
        var added = items.filter(function (i) { return indexOf(before, i.id) < 0; });
        items.splice.apply(items, [0, items.length].concat(before, added));
      });
      focusKey("remove:" + before[0].id);
      announce("Put back " + plural(before.length, "study", "studies") + ".");
    });
  }

  function focusKey(key) {
    var target = document.querySelector('[data-rl-key="' + CSS.escape(key) + '"]');
    if (target) target.focus();
  }

  // --- events --------------------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    if (target.matches("[data-rl-id]")) {
      var item = itemFrom(target.dataset);
      var inList = has(item.id);
      update(function (items) {
        var i = indexOf(items, item.id);
        if (i >= 0) items.splice(i, 1);
        else items.push(item);
      });
      announce(inList ? "Removed from the reading list." : "Added to the reading list.");
    } else if (target.matches("[data-rl-add-all]")) {
      addAll(target);
    } else if (target.matches("[data-rl-action]")) {
      if (target.getAttribute("aria-disabled") === "true") {
        announce(titleOf(target.dataset.rlItem) + " is already " + (target.dataset.rlAction === "up" ? "first." : "last."));
      } else if (target.dataset.rlAction === "remove") {
        removeItem(target.dataset.rlItem);
      } else {
        move(target.dataset.rlItem, target.dataset.rlAction === "up" ? -1 : 1);
      }
    } else if (target.matches("[data-rl-clear]")) {
      clearAll();
    } else if (target.matches("[data-rl-undo-button]")) {
      var restore = undo.restore;
      undo.paused = false;
      closeUndo();
      if (restore) restore();
    }
  });

  document.addEventListener("input", function (event) {
    var area = event.target.closest("textarea[data-rl-note]");
    if (!area) return;
    var saved = document.querySelector('[data-rl-saved="' + CSS.escape(area.dataset.rlNote) + '"]');
    if (saved) saved.textContent = "";
    queueNote(area.dataset.rlNote, area.value);
  });

  // The export reads the list at the moment of the click, pending note included, in list order.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-rl-export-form]")) return;
    flushNote();
    var items = load();
    if (!items.length) {
      event.preventDefault();
      return;
    }
    var notes = {};
    items.forEach(function (i) { if (i.note && i.note.trim()) notes[i.id] = i.note; });
    form.elements.ids.value = items.map(function (i) { return i.id; }).join(",");
    form.elements.notes.value = JSON.stringify(notes);
  });

  // The undo message waits while the reader is on it (keyboard focus or pointer), then counts down again.
  ["focusin", "mouseover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var target = event.target;
      if (target.closest && target.closest("[data-rl-undo]") && (type === "mouseover" || target.matches(":focus-visible"))) {
        undo.paused = true;
        window.clearTimeout(undo.timer);
      }
    });
  });
  ["focusout", "mouseout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var bar = event.target.closest && event.target.closest("[data-rl-undo]");
      if (!bar || bar.hidden || bar.contains(event.relatedTarget)) return;
      // Still held by the other one: the pointer left but keyboard focus is on it, or the reverse.
      var focused = document.activeElement;
      if (type === "mouseout" && bar.contains(focused) && focused.matches(":focus-visible")) return;
      if (type === "focusout" && bar.matches(":hover")) return;
      undo.paused = false;
      startUndoTimer();
    });
  });

  // Leaving the page: keep the note typed in the last fraction of a second.
  window.addEventListener("pagehide", flushNote);

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
