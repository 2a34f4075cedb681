// Audiobook chapters: click a chapter to play it; the next one follows when a chapter ends.
(function () {
  var player = document.getElementById("player");
  if (!player) return;
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button.track"));
  function play(i, start) {
    buttons.forEach(function (b, j) { if (i === j) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current"); });
    player.src = buttons[i].getAttribute("data-src");
    if (start) player.play();
  }
  buttons.forEach(function (b, i) { b.addEventListener("click", function () { play(i, true); }); });
  player.addEventListener("ended", function () {
    var i = buttons.findIndex(function (b) { return b.hasAttribute("aria-current"); });
    if (i >= 0 && i + 1 < buttons.length) play(i + 1, true);
  });
})();
