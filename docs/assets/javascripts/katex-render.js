// Typeset every formula that pymdownx.arithmatex marked, with the site's own KaTeX.
// Runs on first load and after every instant navigation (Material's document$).
// Options match hooks/katex.py, which already parsed each formula at build time.
(function () {
  function typeset(root) {
    performance.mark("katex-start");
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      if (el.dataset.katex === "done") return;
      var display = el.tagName === "DIV";
      var tex = el.textContent.trim();
      tex = display ? tex.replace(/^\\\[/, "").replace(/\\\]$/, "")
                    : tex.replace(/^\\\(/, "").replace(/\\\)$/, "");
      try {
        katex.render(tex, el, { displayMode: display, throwOnError: true, strict: "error" });
        el.dataset.katex = "done";
      } catch (error) {
        console.error("KaTeX: " + error.message + " in " + tex);
      }
    });
    performance.measure("katex-typeset", "katex-start");  // read by benchmarks/run.py
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { typeset(document); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document); });
  }
})();
