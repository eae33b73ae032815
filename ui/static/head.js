// Cue a player to a moment and play it. A player not yet loaded seeks once it knows its length.
function tqaPlayAt(player, start) {
  if (!player || !isFinite(start)) { return; }
  document.querySelectorAll("audio.media, video.media").forEach(function (other) {
    if (other !== player && !other.paused) { other.pause(); }
  });
  var go = function () {
    try { player.currentTime = start; } catch (e) { /* not seekable yet */ }
    var played = player.play();
    if (played && played.catch) { played.catch(function () { /* the user can press play */ }); }
  };
  if (player.readyState >= 1) { go(); } else {
    player.addEventListener("loadedmetadata", go, { once: true });
    player.load();
  }
}

// After the reader is drawn: bring the cited turn into view.
window.tqaReaderShown = function () {
  var target = document.querySelector("#reader-view .r-utt.target");
  if (target) { target.scrollIntoView({ block: "center" }); }
};

function tqaOpenReader(link) {
  var box = document.querySelector("#reader-request textarea, #reader-request input");
  var button = document.querySelector("#reader-open");
  if (!box || !button) { return; }
  var search = document.querySelector("#reader-search textarea, #reader-search input");
  var keep = link.closest("#reader-view") && search ? search.value : "";
  if (search && !keep) { search.value = ""; search.dispatchEvent(new Event("input")); }
  var request = {
    tid: link.getAttribute("data-tid"),
    u: parseInt(link.getAttribute("data-u") || "0", 10),
    end: parseInt(link.getAttribute("data-end") || "-1", 10),
    q: keep
  };
  // A citation's link cues the reader's recording to the cited sentence, not its turn's start.
  if (link.hasAttribute("data-t")) { request.t = parseFloat(link.getAttribute("data-t")); }
  box.value = JSON.stringify(request);
  box.dispatchEvent(new Event("input", { bubbles: true }));
  setTimeout(function () { button.click(); }, 0);
}

document.addEventListener("click", function (event) {
  if (!event.target.closest) { return; }
  var reader = event.target.closest("a.open-reader");
  if (reader) { event.preventDefault(); tqaOpenReader(reader); return; }
  var play = event.target.closest("a.play-at");
  if (play) {
    event.preventDefault();
    var scope = play.closest(".src-card, .reader") || document;
    tqaPlayAt(scope.querySelector("audio.media, video.media"),
              parseFloat(play.getAttribute("data-start")));
    return;
  }
  var copy = event.target.closest("button.copy-md");
  if (copy) {
    // Links to recordings are served by this page's server: make them whole addresses.
    var md = decodeURIComponent(copy.getAttribute("data-md") || "").split("](</gradio_api/")
      .join("](<" + window.location.origin + "/gradio_api/");
    var done = function () {
      copy.textContent = "Copied";
      setTimeout(function () { copy.textContent = "Copy with sources"; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(md).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = md; document.body.appendChild(area); area.select();
      document.execCommand("copy"); area.remove(); done();
    }
    return;
  }
  // Clicking [n] in an answer opens that answer's section of the Sources panel, scrolls the
  // card into view, outlines it, and plays its recording from the cited moment.
  var link = event.target.closest("a.cite");
  if (!link) { return; }
  var id = (link.getAttribute("href") || "").replace(/^#/, "");
  var card = id ? document.getElementById(id) : null;
  if (!card) { return; }
  event.preventDefault();
  var section = card.closest("details");
  if (section) { section.open = true; }
  document.querySelectorAll(".src-card.flash").forEach(function (c) {
    c.classList.remove("flash");
  });
  card.classList.add("flash");
  // "nearest": the panel scrolls to the card, the page only as far as the card needs.
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  var player = card.querySelector("audio.media, video.media");
  if (player) { tqaPlayAt(player, parseFloat(player.getAttribute("data-start"))); }
}, true);
