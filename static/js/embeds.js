/* Click-to-load embeds. lecko/embeds.py stores each video or slide show of another site
   as a card: <figure class="embed" data-provider data-embed-id> holding a link to it.
   This adds a button to each card; the provider's player (an iframe on its
   privacy-enhanced domain, the only frames the Content-Security-Policy allows) is made
   only when the reader presses it, so nothing is asked of the provider before. Without
   JavaScript the card stays a link to the video. */
(function () {
  "use strict";

  // The provider's player for an id; ids are checked as the server checks them.
  var PLAYERS = {
    youtube: { id: /^[A-Za-z0-9_-]{11}$/, kind: "video", name: "YouTube",
      src: function (id) { return "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"; } },
    vimeo: { id: /^[0-9]{1,20}$/, kind: "video", name: "Vimeo",
      src: function (id) { return "https://player.vimeo.com/video/" + id + "?dnt=1&autoplay=1"; } },
    dailymotion: { id: /^[A-Za-z0-9]{2,20}$/, kind: "video", name: "Dailymotion",
      src: function (id) { return "https://geo.dailymotion.com/player.html?video=" + id; } },
    slideshare: { id: /^[A-Za-z0-9]{1,40}$/, kind: "slides", name: "SlideShare",
      src: function (id) {
        return "https://www.slideshare.net/slideshow/embed_code/" + (/^[0-9]+$/.test(id) ? "" : "key/") + id;
      } },
    speakerdeck: { id: /^[0-9a-f]{32}$/, kind: "slides", name: "Speaker Deck",
      src: function (id) { return "https://speakerdeck.com/player/" + id; } }
  };

  var STRINGS = {
    fr: {
      video: "Lire la vidéo ici", slides: "Afficher la présentation ici",
      note: "Le lecteur sera chargé depuis {name}, qui peut alors déposer des cookies.",
      title: "Lecteur {name}"
    },
    en: {
      video: "Play the video here", slides: "Show the slides here",
      note: "The player will be loaded from {name}, which may then set cookies.",
      title: "{name} player"
    }
  };
  var lang = (document.documentElement.lang || "fr").slice(0, 2);
  var text = STRINGS[lang] || STRINGS.fr;

  function say(template, player) { return template.replace("{name}", player.name); }

  function play(figure, player, id) {
    var frame = document.createElement("iframe");
    frame.src = player.src(id);
    frame.title = say(text.title, player);
    frame.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture";
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    frame.className = "embed__player";
    var card = figure.querySelector(".embed__card");
    figure.replaceChild(frame, card);
    frame.focus();
  }

  function prepare(figure, n) {
    var player = PLAYERS[figure.getAttribute("data-provider")];
    var id = figure.getAttribute("data-embed-id") || "";
    var link = figure.querySelector(":scope > a");
    if (!player || !player.id.test(id) || !link) { return; }
    var card = document.createElement("div");
    card.className = "embed__card";
    figure.insertBefore(card, link);
    card.appendChild(link);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button embed__play";
    button.textContent = text[player.kind];
    var note = document.createElement("p");
    note.className = "embed__note";
    note.id = "embed-note-" + n;
    note.textContent = say(text.note, player);
    button.setAttribute("aria-describedby", note.id);
    button.addEventListener("click", function () { play(figure, player, id); });
    card.appendChild(button);
    card.appendChild(note);
  }

  Array.prototype.forEach.call(
    document.querySelectorAll("figure.embed[data-provider][data-embed-id]"), prepare);
})();
