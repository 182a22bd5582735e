// Blocks of a long page outside the viewport skip their rendering until they come near it
// (content-visibility in extra.css). After a jump to an anchor (a link, the table of
// contents, an address with #…), the blocks around the target render for the first time,
// and fonts they need arrive; both change sizes, which can move the target by a few pixels.
// For two seconds after a jump, or until the reader scrolls, clicks or types, this keeps the
// target exactly where the jump put it: under the header (its scroll-margin-top).
(function () {
  var job = 0;
  function settle(id) {
    var target = id && document.getElementById(id);
    if (!target) return;
    var mine = ++job;
    var until = performance.now() + 2000;
    function step() {
      if (mine !== job) return;
      var want = parseFloat(getComputedStyle(target).scrollMarginTop) || 0;
      var off = target.getBoundingClientRect().top - want;
      var bottom = document.documentElement.scrollHeight - window.innerHeight;
      if (Math.abs(off) >= 1 && !(off > 0 && window.scrollY >= bottom - 1)) {
        target.scrollIntoView();
      }
      if (performance.now() < until) requestAnimationFrame(step);
    }
    requestAnimationFrame(step);
  }
  function fragment(hash) {
    return decodeURIComponent((hash || "").slice(1));
  }
  function stop() {
    job++;
  }
  ["wheel", "touchstart", "keydown", "mousedown"].forEach(function (name) {
    window.addEventListener(name, stop, { passive: true, capture: true });
  });
  window.addEventListener("load", function () { settle(fragment(location.hash)); });
  window.addEventListener("hashchange", function () { settle(fragment(location.hash)); });
  // a link to the fragment already in the address fires no hashchange
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href*="#"]');
    if (link && link.pathname === location.pathname) settle(fragment(link.hash));
  });
})();
