// The collapsed check blocks keep their code in a <template> until they are opened
// (hooks/registry.py, `lazy_checks`): a long page holds dozens of them, and parsed, styled
// and mounted by the theme they doubled the work of loading the page. Opening a block puts
// its code in place; a block that is open from the start gets it at once.
(function () {
  function fill(details) {
    var template = details.querySelector(":scope > template.lazy-check");
    if (template) template.replaceWith(template.content);
  }
  // toggle does not bubble: listen in the capture phase
  document.addEventListener("toggle", function (event) {
    if (event.target.open) fill(event.target);
  }, true);
  document.querySelectorAll("details[open]").forEach(fill);
  // printing shows a block the reader opened, with its code
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details[open]").forEach(fill);
  });
})();
