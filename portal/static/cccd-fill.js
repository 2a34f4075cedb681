/* Fill the card application from the text of a chip ID card (CCCD) QR code.
   The server does the same when the "Fill from the QR code" button is pressed
   (ils/readers/cccd.py is the reference); this only saves a round trip. */
(function () {
  "use strict";
  var box = document.getElementById("f-cccd_qr");
  var status = document.getElementById("qr-status");
  if (!box || !status) { return; }
  var vi = document.documentElement.lang !== "en";
  function date(s) {
    if (!/^\d{8}$/.test(s)) { return null; }
    var d = +s.slice(0, 2), m = +s.slice(2, 4), y = +s.slice(4);
    var t = new Date(Date.UTC(y, m - 1, d));
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) { return null; }
    return s.slice(4) + "-" + s.slice(2, 4) + "-" + s.slice(0, 2);
  }
  function sex(s) {
    var v = s.toLowerCase();
    if (v === "nam") { return "Nam"; }
    if (v === "nữ" || v === "nu" || v === "nư") { return "Nữ"; }
    return null;
  }
  function parse(text) {
    var f = text.normalize("NFC").trim().split("|").map(function (x) { return x.trim(); });
    if (f.length < 6 || !/^\d{12}$/.test(f[0])) { return null; }
    var out = {id_number: f[0], old_id_number: ""}, i = 1;
    if (f[i] === "" || /^(\d{9}|\d{12})$/.test(f[i])) { out.old_id_number = f[i]; i++; }
    for (; i < f.length && !out.full_name; i++) { if (f[i] && !/^\d+$/.test(f[i])) { out.full_name = f[i]; } }
    for (; i < f.length && !out.birth_date; i++) { out.birth_date = date(f[i]); }
    for (; i < f.length && !out.sex; i++) { out.sex = sex(f[i]); }
    if (i < f.length) { out.address = f[i]; }
    return out.full_name && out.birth_date && out.sex ? out : null;
  }
  function fill() {
    var text = box.value;
    if (!text.trim()) { status.textContent = ""; return; }
    var data = parse(text);
    if (!data) {
      status.textContent = vi ? "Đây không phải mã QR của căn cước công dân gắn chip: hãy quét lại hoặc tự điền các ô bên dưới."
                              : "This is not the QR code of a chip ID card (CCCD): scan it again or fill in the fields below.";
      status.className = "help field-error";
      return;
    }
    Object.keys(data).forEach(function (name) {
      var field = document.getElementById("f-" + name);
      if (field && data[name] !== undefined) { field.value = data[name]; }
    });
    status.textContent = vi ? "Đã điền từ mã QR: hãy kiểm tra lại." : "Filled from the QR code: please check.";
    status.className = "help";
  }
  box.addEventListener("input", fill);
  box.addEventListener("paste", function () { window.setTimeout(fill, 0); });
}());
