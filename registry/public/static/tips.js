/* The tip form's proof of work (registry/services/tips/challenge.py): find decimal digits `solution` such
   that SHA-256 of "<challenge>:<solution>" starts with `bits` zero bits. It starts as the page opens, so it
   is usually done before the form is; sending waits for it. Plain JavaScript, no library: crypto.subtle
   (available on https pages and on 127.0.0.1). */
(function () {
  "use strict";
  var form = document.getElementById("tip-form");
  if (!form) { return; }
  var token = form.getAttribute("data-challenge");
  var bits = parseInt(form.getAttribute("data-bits"), 10);
  var field = document.getElementById("solution");
  var status = document.getElementById("pow-status");
  var button = document.getElementById("send-tip");
  var BATCH = 256;  // digests asked for at once: the browser computes them in parallel
  var encoder = new TextEncoder();

  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { count += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { count += 1; b <<= 1; }
      return count;
    }
    return count;
  }

  function batch(start) {
    var digests = [];
    for (var n = start; n < start + BATCH; n++) {
      digests.push(crypto.subtle.digest("SHA-256", encoder.encode(token + ":" + n)));
    }
    return Promise.all(digests).then(function (found) {
      for (var i = 0; i < found.length; i++) {
        if (zeroBits(new Uint8Array(found[i])) >= bits) { return String(start + i); }
      }
      return batch(start + BATCH);
    });
  }

  if (!(window.crypto && window.crypto.subtle)) {
    status.textContent = form.getAttribute("data-unsupported");
    button.disabled = true;
    return;
  }
  var solving = batch(0).then(function (solution) {
    field.value = solution;
    return solution;
  });
  form.addEventListener("submit", function (event) {
    if (field.value) { return; }
    event.preventDefault();
    button.disabled = true;
    status.textContent = form.getAttribute("data-working");
    solving.then(function () {
      status.textContent = form.getAttribute("data-ready");
      form.submit();
    });
  });
})();
