// "PNG" beside each forest plot: draws the server's SVG onto a canvas at twice its size and saves it.
// No server round trip and no library: the SVG is self-contained (no external fonts or images).
(function () {
  "use strict";
  function savePng(button) {
    var holder = document.getElementById(button.getAttribute("data-png-of"));
    var svg = holder && holder.querySelector("svg");
    if (!svg) return;
    var width = Number(svg.getAttribute("width")), height = Number(svg.getAttribute("height"));
    var source = new XMLSerializer().serializeToString(svg);
    var url = URL.createObjectURL(new Blob([source], { type: "image/svg+xml;charset=utf-8" }));
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = width * 2;
      canvas.height = height * 2;
      var context = canvas.getContext("2d");
      context.scale(2, 2);
      context.drawImage(image, 0, 0, width, height);
      URL.revokeObjectURL(url);
      canvas.toBlob(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = button.getAttribute("data-png-name") || "forest.png";
        document.body.appendChild(link);
        link.click();
        setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
      }, "image/png");
    };
    image.src = url;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-png-of]");
    if (button) savePng(button);
  });
})();
