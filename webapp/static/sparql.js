/* SPARQL editor: syntax highlighting by a <pre> drawn under a transparent-text <textarea>,
   and Ctrl/Cmd+Enter to run. Without this script the textarea is a plain, working editor. */
(function () {
  "use strict";

  var KEYWORDS = new RegExp("^(?:" + [
    "BASE", "PREFIX", "SELECT", "DISTINCT", "REDUCED", "AS", "CONSTRUCT", "DESCRIBE", "ASK", "FROM", "NAMED",
    "WHERE", "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET", "VALUES", "OPTIONAL", "GRAPH",
    "UNION", "MINUS", "FILTER", "BIND", "SERVICE", "SILENT", "UNDEF", "EXISTS", "NOT", "IN", "COUNT", "SUM",
    "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", "SEPARATOR", "STR", "LANG", "LANGMATCHES", "DATATYPE",
    "BOUND", "IRI", "URI", "BNODE", "RAND", "ABS", "CEIL", "FLOOR", "ROUND", "CONCAT", "STRLEN", "UCASE",
    "LCASE", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE", "STRAFTER", "REGEX", "REPLACE", "SUBSTR",
    "YEAR", "MONTH", "DAY", "NOW", "IF", "COALESCE", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC",
    "SAMETERM", "TRUE", "FALSE", "A"
  ].join("|") + ")$", "i");

  // One alternation, tried left to right at each position; the group that matched names the token.
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                                   // 1 comment
    "(\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)|\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?)", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                                      // 3 IRI
    "([?$][A-Za-z0-9_\\u00C0-\\uFFFF]+)",                          // 4 variable
    "([A-Za-z][\\w.-]*)?(:[\\w.-]*)",                               // 5, 6 prefixed name
    "([A-Za-z_][A-Za-z0-9_]*)",                                     // 7 word (keyword?)
    "(\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)"                          // 8 number
  ].join("|"), "g");

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function span(cls, text) {
    return '<span class="tok-' + cls + '">' + escapeHtml(text) + "</span>";
  }

  function highlight(source) {
    var out = "";
    var last = 0;
    var m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(source)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(source.slice(last, m.index));
      if (m[1]) out += span("comment", m[0]);
      else if (m[2]) out += span("string", m[0]);
      else if (m[3]) out += span("iri", m[0]);
      else if (m[4]) out += span("var", m[0]);
      else if (m[6]) out += span("pname", m[0]);
      else if (m[7]) out += KEYWORDS.test(m[7]) ? span("keyword", m[0]) : escapeHtml(m[0]);
      else if (m[8]) out += span("number", m[0]);
      else out += escapeHtml(m[0]);
      last = TOKEN.lastIndex;
    }
    // a trailing newline keeps the <pre> as tall as the textarea's last line
    return out + escapeHtml(source.slice(last)) + "\n";
  }

  function setUp(editor) {
    var input = editor.querySelector("[data-input]");
    var code = editor.querySelector("[data-highlight]");
    var pre = code.parentNode;
    if (!input || !code) return;
    editor.classList.add("is-highlighted");

    function render() {
      code.innerHTML = highlight(input.value);
      fit();
      sync();
    }
    // grow with the query (up to the CSS max-height) so the whole query is visible, not just its PREFIX lines
    function fit() {
      input.style.height = "auto";
      input.style.height = input.scrollHeight + 2 + "px";
    }
    function sync() {
      pre.scrollTop = input.scrollTop;
      pre.scrollLeft = input.scrollLeft;
    }
    input.addEventListener("input", render);
    input.addEventListener("scroll", sync);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        var form = input.form;
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
    });
    if (window.ResizeObserver) new ResizeObserver(sync).observe(input);
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var editors = document.querySelectorAll("[data-editor]");
    for (var i = 0; i < editors.length; i++) setUp(editors[i]);
  });
})();
