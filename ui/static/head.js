document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.cite") : null;
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
}, true);
