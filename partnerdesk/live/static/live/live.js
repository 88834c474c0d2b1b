// Live pages (ADR 0017): follow the page's Server-Sent Events stream and refresh its live regions.
//
// The page names its stream in `[data-live-stream]` (with the event id it was rendered at) and its
// regions in `[data-live-region="<name>"]`; on an event the script fetches each region again through
// the same view with `?fragment=<name>` and swaps it in. Without JavaScript the page is the same,
// as of its last load. A reply form marked `data-live-draft` takes the request's new ETag from a
// refreshed region only while its text is empty: a draft written against what the agent saw stays
// bound to it, so sending it after someone else's change is refused (409) with that change shown.
// A form with `data-live-replying="<url>"` pings that URL while its person types (presence).
(function () {
  "use strict";
  var marker = document.querySelector("[data-live-stream]");
  if (!marker || !window.EventSource || !window.fetch) {
    return;
  }
  var PING_EVERY_MS = 10000;
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live-region]"));
  var presence = marker.getAttribute("data-live-presence") || "[]";
  var pending = null;
  var loading = false;
  var again = false;

  function carryEtag(region) {
    var tagged = region.querySelector("[data-live-etag]");
    if (!tagged) {
      return;
    }
    document.querySelectorAll("form[data-live-draft]").forEach(function (form) {
      var body = form.querySelector("textarea");
      var etag = form.querySelector("input[name=etag]");
      if (etag && body && body.value.trim() === "") {
        etag.value = tagged.getAttribute("data-live-etag");
      }
    });
  }

  function load(region) {
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", region.getAttribute("data-live-region"));
    return fetch(url.toString(), { credentials: "same-origin", headers: { "X-Live-Fragment": "1" } })
      .then(function (answer) {
        if (!answer.ok || answer.redirected) {
          throw new Error("fragment " + answer.status);
        }
        return answer.text();
      })
      .then(function (html) {
        region.innerHTML = html;
        carryEtag(region);
      });
  }

  function refresh() {
    pending = null;
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    Promise.all(regions.map(load))
      .catch(function () { /* the next event, or a reload, shows it */ })
      .then(function () {
        loading = false;
        marker.setAttribute("data-live-refreshed", String(Date.now()));
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function schedule() {
    if (pending === null) {
      pending = window.setTimeout(refresh, 150);
    }
  }

  var url = new URL(marker.getAttribute("data-live-stream"), window.location.href);
  url.searchParams.set("since", marker.getAttribute("data-live-since") || "0");
  var stream = new EventSource(url.toString());
  stream.addEventListener("open", function () {
    marker.setAttribute("data-live-state", "open");
  });
  stream.addEventListener("change", schedule);
  stream.addEventListener("presence", function (event) {
    if (event.data !== presence) {
      presence = event.data;
      schedule();
    }
  });

  document.querySelectorAll("form[data-live-replying]").forEach(function (form) {
    var body = form.querySelector("textarea");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var last = 0;
    if (!body || !token) {
      return;
    }
    body.addEventListener("input", function () {
      var now = Date.now();
      if (now - last < PING_EVERY_MS) {
        return;
      }
      last = now;
      fetch(form.getAttribute("data-live-replying"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token.value },
      }).catch(function () { /* presence is a courtesy; the reply itself is what counts */ });
    });
  });
})();
