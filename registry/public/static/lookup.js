/* The public check of a bank account or phone number (docs/public-lookup.md): the number is normalised
   and hashed (SHA-256) here, in the browser; only the first 5 hex characters of the hash are sent to
   the registry's range query, which answers with the other 59 of every flagged value with that prefix.
   crypto.subtle exists only in a secure context (https, or http://localhost / 127.0.0.1): elsewhere the
   small SHA-256 below (FIPS 180-4) computes the same hash. Plain script, no build step, no CDN. */
(function (root) {
  "use strict";

  // 2018 renumbering of 11-digit mobiles (registry/identifiers/phone.py RENUMBERED_2018).
  var RENUMBERED = {
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    "186": "56", "188": "58", "199": "59"
  };

  /* A phone number as E.164, the registry's canonical form (Vietnam unless it says its country). */
  function normalisePhone(text) {
    var compact = String(text).replace(/[\s.\-()]/g, "");
    var prefixes = ["+84", "0084", "84", "0"];
    for (var i = 0; i < prefixes.length; i++) {
      var rest = compact.slice(prefixes[i].length);
      if (compact.indexOf(prefixes[i]) === 0 && rest.length === 10 && RENUMBERED[rest.slice(0, 3)]) {
        return "+84" + RENUMBERED[rest.slice(0, 3)] + rest.slice(3);
      }
    }
    var digits;
    if (compact.charAt(0) === "+") digits = compact.slice(1);
    else if (compact.indexOf("00") === 0) digits = compact.slice(2);
    else if (compact.indexOf("84") === 0 && compact.length >= 11) digits = compact;
    else if (compact.charAt(0) === "0") digits = "84" + compact.slice(1);
    else digits = "84" + compact;
    if (!/^[1-9][0-9]{6,14}$/.test(digits)) return null;
    if (digits.indexOf("840") === 0) digits = "84" + digits.slice(3); // +84 0912...: the trunk 0 dropped
    return "+" + digits;
  }

  /* A bank account as `<BIN>:<digits>`: the bank's 6-digit BIN and the number without separators. */
  function normaliseBankAccount(bin, number) {
    var digits = String(number).replace(/[\s.\-_]/g, "");
    if (!/^[0-9]{6}$/.test(String(bin)) || !/^[0-9]{6,19}$/.test(digits)) return null;
    return bin + ":" + digits;
  }

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];

  function utf8(text) {
    if (typeof TextEncoder !== "undefined") return new TextEncoder().encode(text);
    var bytes = [], encoded = unescape(encodeURIComponent(text));
    for (var i = 0; i < encoded.length; i++) bytes.push(encoded.charCodeAt(i));
    return bytes;
  }

  function hex(words) {
    var out = "";
    for (var i = 0; i < words.length; i++) out += ("00000000" + (words[i] >>> 0).toString(16)).slice(-8);
    return out;
  }

  /* SHA-256 of a text's UTF-8 bytes, lower-case hex, without crypto.subtle. */
  function sha256Fallback(text) {
    var bytes = utf8(text), length = bytes.length;
    var padded = new Array(((length + 9 + 63) >> 6) << 6).fill(0);
    for (var i = 0; i < length; i++) padded[i] = bytes[i];
    padded[length] = 0x80;
    var bits = length * 8;
    for (var j = 0; j < 8; j++) padded[padded.length - 1 - j] = Math.floor(bits / Math.pow(2, 8 * j)) & 0xff;
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var w = new Array(64);
    for (var offset = 0; offset < padded.length; offset += 64) {
      for (var t = 0; t < 16; t++) {
        var p = offset + 4 * t;
        w[t] = (padded[p] << 24) | (padded[p + 1] << 16) | (padded[p + 2] << 8) | padded[p + 3];
      }
      for (t = 16; t < 64; t++) {
        var a15 = w[t - 15], a2 = w[t - 2];
        var s0 = ((a15 >>> 7) | (a15 << 25)) ^ ((a15 >>> 18) | (a15 << 14)) ^ (a15 >>> 3);
        var s1 = ((a2 >>> 17) | (a2 << 15)) ^ ((a2 >>> 19) | (a2 << 13)) ^ (a2 >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var temp1 = (k + S1 + ch + K[t] + w[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var temp2 = (S0 + maj) | 0;
        k = g; g = f; f = e; e = (d + temp1) | 0; d = c; c = b; b = a; a = (temp1 + temp2) | 0;
      }
      h = [h[0] + a, h[1] + b, h[2] + c, h[3] + d, h[4] + e, h[5] + f, h[6] + g, h[7] + k].map(function (x) { return x | 0; });
    }
    return hex(h);
  }

  /* SHA-256 hex of a text: crypto.subtle where the context allows it, else the fallback. */
  function sha256Hex(text) {
    var subtle = root.crypto && root.crypto.subtle;
    if (!subtle) return Promise.resolve(sha256Fallback(text));
    return subtle.digest("SHA-256", utf8(text)).then(function (buffer) {
      return Array.prototype.map.call(new Uint8Array(buffer), function (x) {
        return ("0" + x.toString(16)).slice(-2);
      }).join("");
    });
  }

  /* Ask the range query for the hash's prefix; the entry for its suffix, or null. `api` has KIND and
     PREFIX in place of the path's parts. */
  function rangeCheck(api, kind, canonical) {
    return sha256Hex(canonical).then(function (digest) {
      var prefix = digest.slice(0, 5), suffix = digest.slice(5);
      var url = api.replace("KIND", kind).replace("PREFIX", prefix);
      var headers = { Accept: "application/json", "Add-Padding": "true" };
      return fetch(url, { headers: headers, credentials: "omit" }).then(function (response) {
        if (!response.ok) throw new Error("range query answered " + response.status);
        return response.json();
      }).then(function (answer) {
        var found = answer.suffixes.filter(function (entry) {
          return entry.suffix === suffix && entry.violations > 0; // padding has none
        });
        return { prefix: prefix, entry: found.length ? found[0] : null };
      });
    });
  }

  var api = {
    normalisePhone: normalisePhone,
    normaliseBankAccount: normaliseBankAccount,
    sha256Fallback: sha256Fallback,
    sha256Hex: sha256Hex,
    rangeCheck: rangeCheck
  };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; return; }
  root.RegistryLookup = api;

  function text(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function show(box, canonicalKind, result) {
    var words = box.dataset, out = document.getElementById("range-result");
    out.textContent = "";
    var verdict = document.createElement("p");
    verdict.id = result.entry ? "range-flagged" : "range-clear";
    verdict.className = result.entry ? "warn" : "";
    verdict.textContent = result.entry ? text(words.flagged, { count: result.entry.violations }) : words.clear;
    out.appendChild(verdict);
    if (result.entry) {
      var names = JSON.parse(words.categories);
      var list = document.createElement("ul");
      list.id = "range-decisions";
      result.entry.decisions.forEach(function (d) {
        var item = document.createElement("li");
        item.textContent = words.decision + " " + d.number + (d.issued_on ? " (" + d.issued_on + ")" : "") +
          (d.issuing_body ? ", " + d.issuing_body : "");
        list.appendChild(item);
      });
      var categories = document.createElement("p");
      categories.textContent = result.entry.categories.map(function (c) { return names[c] || c; }).join(", ");
      out.appendChild(categories);
      out.appendChild(list);
    }
    var sent = document.createElement("p");
    sent.id = "range-sent";
    sent.textContent = text(words.sent, { prefix: result.prefix });
    out.appendChild(sent);
  }

  function wire(box, formId, kind, read, invalidText) {
    document.getElementById(formId).addEventListener("submit", function (event) {
      event.preventDefault();
      var out = document.getElementById("range-result");
      var canonical = read();
      if (!canonical) {
        out.innerHTML = "";
        var problem = document.createElement("p");
        problem.className = "error";
        problem.id = "range-error";
        problem.textContent = invalidText;
        out.appendChild(problem);
        return;
      }
      rangeCheck(box.dataset.api, kind, canonical).then(function (result) {
        show(box, kind, result);
      }, function () {
        out.textContent = box.dataset.failed;
      });
    });
  }

  function start() {
    var box = document.getElementById("range-forms");
    if (!box) return;
    wire(box, "bank-form", "bank_account", function () {
      return normaliseBankAccount(document.getElementById("bank").value, document.getElementById("account").value);
    }, box.dataset.invalidAccount);
    wire(box, "phone-form", "phone", function () {
      return normalisePhone(document.getElementById("phone").value);
    }, box.dataset.invalidPhone);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(typeof window !== "undefined" ? window : globalThis);
