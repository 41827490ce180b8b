// Small enhancements shared by the pages; each page works without them.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(function () {
    // Facets: open beside the results on wide screens, folded away on phones.
    if (window.matchMedia("(min-width: 60rem)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
    }

    // Sorting applies as soon as a new order is chosen (the button stays for keyboard users without JS).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var button = select.form.querySelector("[data-autosubmit-button]");
      if (button) button.classList.add("visually-hidden");
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // Copy buttons: copy the text of the element named by data-copy.
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.querySelector(button.dataset.copy);
      if (!source) return;
      button.hidden = false;
      var status = button.parentElement.querySelector(".copy-status");
      function say(text) { if (status) status.textContent = text; }
      button.addEventListener("click", function () {
        var text = source.textContent.trim();
        function selectText() {
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          say("Selected: press Ctrl+C (⌘C) to copy.");
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () { say("Copied to the clipboard."); }, selectText);
        } else {
          selectText();
        }
      });
    });
  });
})();
