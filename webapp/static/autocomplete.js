// Autocomplete for the search box: ontology concepts from /api/concepts, as a WAI-ARIA combobox.
// Suggests for the term being typed (the text after the last "+" or ","); choosing one
// replaces that term with the concept's preferred label.
(function () {
  "use strict";
  var SCHEMES = {
    condition: "Condition", route: "Route", therapy: "Therapy", outcome: "Outcome",
    instrument: "Measure", adverse_effect: "Adverse effect", design: "Design",
    evidence_level: "Evidence level", drug: "Drug", timing: "Therapy timing"
  };
  var WORD = /[0-9A-Za-z\u00C0-\u024F]/;

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = input.form.querySelector("[data-autocomplete-status]");
    var options = [];
    var active = -1;
    var pending = 0;
    var timer = null;

    function currentTerm() {
      var value = input.value.slice(0, input.selectionEnd == null ? input.value.length : input.selectionEnd);
      var start = Math.max(value.lastIndexOf("+"), value.lastIndexOf(",")) + 1;
      var segment = value.slice(start);
      var lead = segment.length - segment.replace(/^\s+/, "").length;
      return { start: start + lead, end: value.length, text: segment.trim() };
    }

    function close() {
      list.hidden = true;
      list.replaceChildren();
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      options.forEach(function (o, i) {
        o.el.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].el.id);
        options[index].el.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function accept(index) {
      var choice = options[index];
      if (!choice) return;
      var value = input.value;
      var tail = value.slice(choice.term.end);
      input.value = value.slice(0, choice.term.start) + choice.label + tail;
      var caret = choice.term.start + choice.label.length;
      input.setSelectionRange(caret, caret);
      close();
      if (status) status.textContent = choice.label + " chosen.";
      input.focus();
    }

    function show(items, term) {
      close();
      if (!items.length) {
        if (status) status.textContent = "";
        return;
      }
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = input.id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "opt-label";
        label.textContent = item.label;
        var scheme = document.createElement("span");
        scheme.className = "opt-scheme";
        scheme.textContent = SCHEMES[item.scheme] || item.scheme;
        li.append(label, scheme);
        if (item.matched && item.matched !== item.label) {
          var matched = document.createElement("span");
          matched.className = "opt-matched";
          matched.textContent = "“" + item.matched + "”";
          li.append(matched);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          accept(i);
        });
        list.append(li);
        options.push({ el: li, label: item.label, term: term });
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (status) {
        status.textContent = items.length + (items.length === 1 ? " suggestion" : " suggestions") + ": use the up and down arrows to choose.";
      }
    }

    function lookup() {
      var term = currentTerm();
      if (term.text.length < 2 || !WORD.test(term.text) || /[:"]/.test(term.text)) {
        close();
        return;
      }
      var ticket = ++pending;
      fetch("/api/concepts?limit=8&prefix=" + encodeURIComponent(term.text), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          if (ticket !== pending) return;  // a newer keystroke won
          if (items.length || term.text.indexOf(" ") < 0) {
            show(items, term);
            return;
          }
          // "PTSD int": nothing matches both words, so suggest for the last word alone.
          var last = term.text.slice(term.text.lastIndexOf(" ") + 1);
          var lastTerm = { start: term.end - last.length, end: term.end, text: last };
          if (last.length < 2 || !WORD.test(last)) { close(); return; }
          return fetch("/api/concepts?limit=8&prefix=" + encodeURIComponent(last), { headers: { Accept: "application/json" } })
            .then(function (r) { return r.ok ? r.json() : []; })
            .then(function (more) { if (ticket === pending) show(more, lastTerm); });
        })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || !options.length) {
        if (event.key === "ArrowDown" && input.value.trim()) { lookup(); event.preventDefault(); }
        return;
      }
      if (event.key === "ArrowDown") {
        highlight((active + 1) % options.length);
        event.preventDefault();
      } else if (event.key === "ArrowUp") {
        highlight(active <= 0 ? options.length - 1 : active - 1);
        event.preventDefault();
      } else if (event.key === "Enter" && active >= 0) {
        accept(active);
        event.preventDefault();
      } else if (event.key === "Escape") {
        close();
        event.preventDefault();
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function init() {
    document.querySelectorAll("input[data-autocomplete]").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
