// Phone simulator: submits the forms without leaving the page and refreshes the live panel.
(function () {
  "use strict";
  var root = document.getElementById("simulator");
  var live = document.getElementById("live");
  var status = document.getElementById("status");
  var liveUrl = root.getAttribute("data-live-url");
  var open = {};

  function remember() {
    // Keep expanded call traces expanded across refreshes.
    open = {};
    live.querySelectorAll("details[open][data-sid]").forEach(function (d) {
      open[d.getAttribute("data-sid")] = true;
    });
  }

  function refresh() {
    return fetch(liveUrl, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        remember();
        live.innerHTML = html;
        live.querySelectorAll("details[data-sid]").forEach(function (d) {
          if (open[d.getAttribute("data-sid")]) { d.open = true; }
        });
      })
      .catch(function () { status.textContent = "Could not refresh."; });
  }

  function submit(form) {
    var body = new URLSearchParams(new FormData(form));
    return fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : r.text().then(function (t) { return Promise.reject(t); });
      })
      .then(function (data) {
        status.textContent = data.call_sid ? "Calling…" :
          data.replies ? "Text sent." + (data.replies.length ? " Reply: " + data.replies.join(" / ") : "") :
          "Saved.";
        if (form.classList.contains("reply")) { form.querySelector("[name=body]").value = ""; }
        return refresh();
      })
      .catch(function (err) { status.textContent = "Failed: " + err; });
  }

  document.querySelectorAll("form.js-action").forEach(function (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); submit(form); });
  });
  document.querySelectorAll(".js-autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { submit(select.form); });
  });
  setInterval(refresh, 2000);

  // The service's clock (demo mode): show it, and set it from the form as JSON.
  var clock = document.getElementById("clock");
  if (clock) {
    var clockUrl = clock.getAttribute("data-clock-url");
    var showClock = function () {
      fetch(clockUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          document.getElementById("clock-now").textContent = new Date(data.now).toLocaleString();
          document.getElementById("clock-speed-now").textContent =
            data.speed === 1 ? "real time" : data.speed + " times real time";
        })
        .catch(function () { status.textContent = "Could not read the clock."; });
    };
    document.getElementById("clock-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var at = document.getElementById("clock-at").value;
      var body = { speed: Number(document.getElementById("clock-speed").value) };
      if (at) { body.at = new Date(at).toISOString(); }
      fetch(clockUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body)
      })
        .then(function (r) { return r.ok ? r.json() : r.text().then(function (t) { return Promise.reject(t); }); })
        .then(function () { status.textContent = "Clock set."; showClock(); })
        .catch(function (err) { status.textContent = "Failed: " + err; });
    });
    showClock();
    setInterval(showClock, 2000);
  }
})();
