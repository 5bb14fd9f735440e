"""Benchmark data (`flask --app app demo generate`): a blog of French-looking articles and
threaded comments, of realistic lengths, with authors, nested categories, tags and series.

Rows are built in Python from a seeded generator and written with executemany in batches,
bypassing the session (10,000 posts and 200,000 comments: one to two minutes of CPU); the
comment counts are then refreshed with one UPDATE and the search index filled."""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from slugify import slugify
from sqlalchemy import func, insert, select, text, update

from .editing import slug_from_title
from .extensions import db
from .html import NNBSP, summarize
from .models import Category, Comment, ContentState, Post, Series, Tag, User, utcnow
from .models.comments import APPROVED, SPAM, text_fingerprint
from .models.comments import PENDING as HELD
from .models.comments import TRASH as BINNED
from .models.content import DRAFT, PENDING, POST, PUBLISHED, TRASH, post_categories, post_tags
from .search import index_posts, optimize_index

POST_BATCH = 500
COMMENT_BATCH = 10_000
YEARS = 8  # publication dates spread over this many years, up to now
THREAD_DEPTH = 3  # replies nest this deep at most (the comment_thread_depth default)
# (status, share): mostly published; "scheduled" is published with a future date.
POST_STATUSES = [(PUBLISHED, 0.94), ("scheduled", 0.01), (DRAFT, 0.03), (PENDING, 0.01),
                 (TRASH, 0.01)]
COMMENT_STATUSES = [(APPROVED, 0.90), (HELD, 0.05), (SPAM, 0.04), (BINNED, 0.01)]
REPLY_SHARE = 0.3
SERIES_SHARE = 0.08  # of the posts, roughly, belong to a series of 2 to 4 parts

FUNCTION_WORDS = """de la le les des et en un une du pour dans sur avec qui que par pas plus
au aux ce cette ces est sont il elle nous on se ne mais ou comme leur leurs son sa ses tout
tous très aussi sans entre chaque dont où même encore déjà bien peu trop""".split()
CONTENT_WORDS = """équipe entreprise intranet réseau social collaboration communauté projet
maturité usage usages outil outils plateforme messagerie document documents partage
information informations salarié salariés manager managers direction gouvernance adoption
transformation numérique travail télétravail bureau espace espaces animation animateur
contenu contenus publication publications rédaction éditorial ligne stratégie objectif
objectifs mesure indicateur indicateurs tableau bord enquête étude baromètre résultat
résultats analyse diagnostic refonte migration déploiement formation accompagnement
changement culture pratique pratiques méthode démarche approche retour expérience
client clients consultant conseil mission atelier ateliers réunion réunions agenda
calendrier tâche tâches flux notification notifications recherche moteur page pages
navigation menu accueil portail annuaire profil profils compétence compétences métier
métiers service services fonction support ressources humaines communication interne
externe marketing vente commercial produit produits qualité sécurité donnée données
confidentialité conformité règle règles charte politique décision décisions priorité
priorités budget coût coûts valeur bénéfice bénéfices gain gains temps semaine mois
année trimestre période étape étapes phase phases version pilote test tests essai
utilisateur utilisateurs lecteur lecteurs auteur auteurs contributeur contributeurs
membre membres groupe groupes site sites application applications mobile écran
tablette ordinateur logiciel logiciels éditeur éditeurs solution solutions marché
tendance tendances avenir futur passé présent histoire exemple exemples cas question
questions réponse réponses idée idées proposition propositions conversation échange
échanges discussion discussions commentaire commentaires vidéo image images fichier
fichiers dossier dossiers archive archives modèle modèles processus organisation
structure hiérarchie transversal transversale collectif collective individuel
individuelle simple complexe rapide lent efficace utile nouveau nouvelle ancien
ancienne grand grande petit petite premier première dernier dernière principal
principale important importante essentiel essentielle clair claire ouvert ouverte
fermé fermée vivant vivante durable concret concrète pragmatique ambitieux
progressif progressive régulier régulière quotidien quotidienne hebdomadaire
mensuel mensuelle annuel annuelle faire mettre prendre donner trouver rendre
construire animer mesurer partager publier lire écrire chercher comprendre expliquer
montrer proposer choisir décider tester lancer réussir améliorer simplifier organiser
accompagner former convaincre engager impliquer favoriser permettre devenir rester
passer venir aller voir savoir pouvoir vouloir devoir falloir sembler paraître
commencer continuer finir réduire augmenter développer transformer adapter ajuster
réunir connecter relier ouvrir fermer suivre piloter évaluer comparer observer
constater remarquer souligner rappeler noter ajouter retenir""".split()
OPENINGS = ["Merci pour cet article.", "Très juste.", "Article intéressant.",
            "Je partage ce constat.", "Bonne analyse.", "Je ne suis pas tout à fait d’accord.",
            "Question pratique :", "Retour d’expérience :", "Bravo pour cette série."]
FIRST_NAMES = """Camille Julien Sophie Antoine Claire Hugo Léa Thomas Manon Nicolas Chloé
Maxime Inès Lucas Emma Paul Sarah Louis Juliette Arthur Zoé Gabriel Alice Raphaël Jeanne
Victor Élise Mathieu Anaïs Théo""".split()
LAST_NAMES = """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau
Simon Laurent Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard
André Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau
Blanc Guérin Muller Henry Roussel Nicolas Perrin""".split()
AUTHORS = [("camille-durand", "Camille Durand"), ("julien-moreau", "Julien Moreau"),
           ("sophie-lefevre", "Sophie Lefèvre"), ("antoine-garnier", "Antoine Garnier"),
           ("claire-rousseau", "Claire Rousseau"), ("hugo-fontaine", "Hugo Fontaine")]
CATEGORIES = {
    "Intranet": ["Refonte", "Portail", "Navigation", "Recherche interne"],
    "Réseaux sociaux d’entreprise": ["Communautés", "Animation", "Adoption"],
    "Collaboration": ["Espaces de travail", "Messagerie", "Documents partagés"],
    "Management": ["Managers de proximité", "Télétravail", "Équipes hybrides"],
    "Communication interne": ["Ligne éditoriale", "Newsletters", "Événements"],
    "Transformation numérique": ["Conduite du changement", "Formation", "Gouvernance"],
    "Études": ["Baromètre", "Enquêtes", "Benchmarks"],
    "Outils": ["Microsoft 365", "Google Workspace"],
}
TAG_COUNT = 200
RARE_WORDS, RARE_SHARE = 5000, 0.08  # made-up words, and their share of the text
ONSETS = "b br c ch cl cr d f fl fr g gr j l m n p pl pr r s t tr v".split()
VOWELS = "a e i o u é è ou ai au an en on in eu".split()
SUFFIXES = "tion ment age ure ité isme eur ence ance ique able oire ette ier elle".split()
_ELISION = re.compile(r"\b(de|le|la|que|ne|se) (?=[aeiouéèêâîôh])", re.IGNORECASE)
_ELIDED = {"de": "d’", "le": "l’", "la": "l’", "que": "qu’", "ne": "n’", "se": "s’"}


@dataclass
class Summary:
    posts: int = 0
    comments: int = 0
    categories: int = 0
    tags: int = 0
    series: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"{self.posts} posts, {self.comments} comments, {self.categories} categories, "
                f"{self.tags} tags, {self.series} series in {self.seconds:.1f} s")


class Writer:
    """French-looking text from a seeded generator: common words more often than others,
    and a long tail of rarer made-up words (Zipf), so that searches, like on a real blog,
    find anything from nearly every article to a handful."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        # Function words six times over: unweighted choices are twice as fast.
        self.pool = FUNCTION_WORDS * 6 + CONTENT_WORDS
        self.rare = made_up_words(rng, RARE_WORDS)
        self.rare_weights = list(accumulate(1 / (rank + 10) for rank in range(RARE_WORDS)))

    def phrase(self, n: int) -> str:
        rng = self.rng
        words = rng.choices(self.pool, k=n)
        rare = int(n * RARE_SHARE + rng.random())
        if rare:
            for word in rng.choices(self.rare, cum_weights=self.rare_weights, k=rare):
                words[int(rng.random() * n)] = word
        return " ".join(words)

    def sentence(self, low: int = 6, high: int = 24, typeset: bool = True) -> str:
        """A sentence, not yet elided (elide() runs once on a whole text: it is faster)."""
        rng = self.rng
        n = rng.randint(low, high)
        text = self.phrase(n)
        if n > 12 and rng.random() < 0.5:
            cut = text.find(" ", len(text) // 2)
            text = text[:cut] + "," + text[cut:]
        ending = rng.random()
        space = NNBSP if typeset else " "
        end = "." if ending < 0.88 else f"{space}?" if ending < 0.96 else f"{space}!"
        return capitalize(text) + end

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def title(self) -> str:
        rng = self.rng
        text = capitalize(elide(self.phrase(rng.randint(4, 12))))[:200]
        kind = rng.random()
        if kind < 0.12:
            return text + " ?"
        if kind < 0.22:
            return f"{text} : {elide(self.phrase(rng.randint(2, 4)))}"
        return text

    def body(self) -> tuple[str, int]:
        """Article HTML of 300 to 1,500 words in paragraphs, headings and lists, already
        as clean_article would leave it; and its word count."""
        rng = self.rng
        target, words, blocks = rng.randint(300, 1500), 0, []
        since_heading = 0
        while words < target:
            if since_heading >= rng.randint(3, 5):
                heading = capitalize(self.phrase(rng.randint(3, 8)))
                blocks.append(f"<h2>{heading}</h2>")
                words, since_heading = words + heading.count(" ") + 1, 0
            elif blocks and rng.random() < 0.1:
                items = [self.sentence(3, 10) for _ in range(rng.randint(3, 5))]
                blocks.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
                words += sum(item.count(" ") + 1 for item in items)
            else:
                paragraph = self.paragraph()
                if rng.random() < 0.2:
                    start = paragraph.find(" ") + 1
                    end = paragraph.find(" ", start)
                    paragraph = (f"{paragraph[:start]}<strong>{paragraph[start:end]}</strong>"
                                 f"{paragraph[end:]}")
                blocks.append(f"<p>{paragraph}</p>")
                words, since_heading = words + paragraph.count(" ") + 1, since_heading + 1
        return elide("\n".join(blocks)), words

    def comment(self) -> str:
        rng = self.rng
        parts = [" ".join(self.sentence(4, 20, typeset=False)
                          for _ in range(rng.randint(1, 4)))
                 for _ in range(1 if rng.random() < 0.8 else 2)]
        if rng.random() < 0.3:
            parts[0] = rng.choice(OPENINGS) + " " + parts[0]
        return elide("\n\n".join(parts))


def comment_html(text: str) -> str:
    """render_comment() of a generated comment, much faster: the words hold nothing to
    escape or link, paragraphs are split by blank lines only, and the only typography to
    do is the space before ? ! : (tests check it gives the same HTML)."""
    for mark in "?!:":
        text = text.replace(" " + mark, NNBSP + mark)
    return "\n".join(f"<p>{part}</p>" for part in text.split("\n\n"))


def made_up_words(rng: random.Random, count: int) -> list[str]:
    """French-sounding words that are not French: syllables and a suffix."""
    words: dict[str, None] = {}
    while len(words) < count:
        stem = "".join(rng.choice(ONSETS) + rng.choice(VOWELS)
                       for _ in range(rng.choice((1, 2, 2, 3))))
        words[stem + rng.choice(SUFFIXES)] = None
    return list(words)


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def elide(text: str) -> str:
    """"de intranet" -> "d’intranet", keeping the first letter's case."""
    return _ELISION.sub(lambda m: m.group(1)[0] + _ELIDED[m.group(1).lower()][1:], text)


def blog_has_posts() -> bool:
    return db.session.scalar(select(Post.id).limit(1)) is not None


def generate(posts: int, comments: int, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> Summary:
    """Add `posts` articles and `comments` comments (spread over the public ones) and
    commit; say what was added."""
    started = datetime.now()
    say = progress or (lambda _line: None)
    rng = random.Random(seed)
    writer = Writer(rng)
    summary = Summary()
    # Plain values, not rows: each batch commits, which would expire (and reload) rows.
    authors = [(user.id, user.display_name, user.email) for user in add_authors()]
    category_ids = [category.id for category in add_categories()]
    tag_ids = [tag.id for tag in add_tags(rng)]
    db.session.commit()
    summary.categories, summary.tags = len(category_ids), len(tag_ids)
    first_id, public = add_posts(posts, writer, rng, authors, category_ids, tag_ids, summary,
                                 say)
    if comments and not public:
        raise ValueError("comments need public posts: generate some posts with them")
    add_comments(comments, writer, rng, public, summary, say)
    if posts:
        say("Search index…")
        index_posts(range(first_id, first_id + posts))
        optimize_index()
        refresh_counts(first_id)
    move_sequences_on()
    db.session.execute(update(ContentState).where(ContentState.id == 1)
                       .values(version=ContentState.version + 1, changed_at=utcnow()))
    db.session.commit()
    summary.seconds = (datetime.now() - started).total_seconds()
    return summary


def add_authors() -> list[User]:
    """The generated authors (reused when generating again); no password, no sign-in."""
    users = []
    for slug, name in AUTHORS:
        user = db.session.scalar(select(User).where(User.username == slug))
        if user is None:
            user = User(username=slug, slug=unique_user_slug(slug), display_name=name,
                        email=f"{slug}@example.org", role="author",
                        bio=f"{name} est consultant·e et écrit sur les usages numériques.")
            db.session.add(user)
        users.append(user)
    db.session.flush()
    return users


def unique_user_slug(base: str) -> str:
    slug, n = base, 2
    while db.session.scalar(select(User.id).where(User.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug


def get_or_add(model, name: str, **fields):
    slug = slugify(name, replacements=[["’", ""]])
    row = db.session.scalar(select(model).where(model.slug == slug))
    if row is None:
        row = model(name=name, slug=slug, **fields)
        db.session.add(row)
    return row


def add_categories() -> list[Category]:
    """About thirty categories, most of them under one of eight parents."""
    found = []
    for parent_name, children in CATEGORIES.items():
        parent = get_or_add(Category, parent_name)
        found.append(parent)
        found += [get_or_add(Category, name, parent=parent) for name in children]
    db.session.flush()
    return found


def add_tags(rng: random.Random) -> list[Tag]:
    """Two hundred tags: single words, then pairs of words."""
    names = sorted({word for word in CONTENT_WORDS if len(word) >= 6})[:TAG_COUNT]
    while len(names) < TAG_COUNT:
        name = " ".join(rng.sample(CONTENT_WORDS, 2))
        if name not in names:
            names.append(name)
    tags = [get_or_add(Tag, name) for name in names]
    db.session.flush()
    return tags


def pick(rng: random.Random, shares: list[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in shares], [share for _, share in shares])[0]


def add_posts(count, writer, rng, authors, category_ids, tag_ids, summary, say):
    """Insert `count` articles in batches; return the first id, and (id, published_at,
    author) of the public ones, for the comments."""
    now = utcnow()
    next_id = (db.session.scalar(select(func.max(Post.id))) or 0) + 1
    taken = set(db.session.scalars(select(Post.slug).where(Post.type == POST)))
    start = now - timedelta(days=365 * YEARS)
    moments = sorted(start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds()))
                     for _ in range(count))
    public, batch, links, series_left = [], [], {"cat": [], "tag": []}, []
    for n, moment in enumerate(moments):
        post_id = next_id + n
        status = pick(rng, POST_STATUSES)
        published_at = moment
        if status == "scheduled":
            status, published_at = PUBLISHED, now + timedelta(days=rng.uniform(1, 30))
        elif status in (DRAFT, PENDING):
            published_at = None
        series_id, position, title = None, None, writer.title()
        if not series_left and rng.random() < SERIES_SHARE / 3:
            series_title = capitalize(elide(writer.phrase(rng.randint(3, 7))))
            series = Series(title=series_title, description=elide(writer.sentence()),
                            slug=f"serie-{slugify(series_title)[:150]}-{post_id}")
            db.session.add(series)
            db.session.flush()
            summary.series += 1
            series_left = [(series.id, series_title, part)
                           for part in range(1, rng.randint(2, 4) + 1)]
        if series_left:
            series_id, series_title, position = series_left.pop(0)
            title = f"{series_title} (partie {position})"
        body, words = writer.body()
        slug = unique(slug_from_title(title)[:190] or "article", taken)
        author = rng.choice(authors)
        batch.append({
            "id": post_id, "type": POST, "title": title, "slug": slug, "status": status,
            "status_before_trash": PUBLISHED if status == TRASH else None,
            "author_id": author[0], "body_source": body, "body_html": body,
            "excerpt": summarize(body), "word_count": words, "published_at": published_at,
            "created_at": moment, "updated_at": moment, "comments_open": rng.random() < 0.9,
            "series_id": series_id, "series_position": position,
        })
        for category_id in rng.sample(category_ids, rng.choice((1, 1, 1, 2))):
            links["cat"].append({"post_id": post_id, "category_id": category_id})
        for tag_id in rng.sample(tag_ids, rng.randint(0, 5)):
            links["tag"].append({"post_id": post_id, "tag_id": tag_id})
        if status == PUBLISHED and published_at <= now:
            public.append((post_id, published_at, author))
        if len(batch) == POST_BATCH or n == count - 1:
            write_posts(batch, links)
            summary.posts += len(batch)
            say(f"Posts: {summary.posts}/{count}")
            batch, links = [], {"cat": [], "tag": []}
    return next_id, public


def unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def write_posts(rows: list[dict], links: dict[str, list[dict]]) -> None:
    db.session.execute(insert(Post.__table__), rows)
    if links["cat"]:
        db.session.execute(insert(post_categories), links["cat"])
    if links["tag"]:
        db.session.execute(insert(post_tags), links["tag"])
    db.session.commit()


def add_comments(count, writer, rng, public, summary, say) -> None:
    """Spread `count` comments over the public posts, a few posts drawing most of them;
    some are replies (nested up to THREAD_DEPTH), some from the post's author."""
    if not count:
        return
    now = utcnow()
    weights = [rng.expovariate(1.0) ** 2 for _ in public]
    per_post = [0] * len(public)
    for index in rng.choices(range(len(public)), weights, k=count):
        per_post[index] += 1
    next_id = (db.session.scalar(select(func.max(Comment.id))) or 0) + 1
    # slugify is slow: the ASCII spelling of each name, once.
    firsts = [(name, slugify(name)) for name in FIRST_NAMES]
    lasts = [(name, slugify(name)) for name in LAST_NAMES]
    batch = []
    for (post_id, published_at, author), how_many in zip(public, per_post, strict=True):
        if not how_many:
            continue
        span = max((now - published_at).total_seconds(), 60.0)
        times = sorted(published_at + timedelta(seconds=rng.uniform(0, min(span, 90 * 86400)))
                       for _ in range(how_many))
        thread: list[tuple[int, int]] = []  # (id, depth) of approved comments so far
        for moment in times:
            status = pick(rng, COMMENT_STATUSES)
            parent_id, depth = None, 1
            if thread and rng.random() < REPLY_SHARE:
                parent_id, parent_depth = rng.choice(thread)
                depth = parent_depth + 1
            staff = parent_id is not None and status == APPROVED and rng.random() < 0.15
            text = writer.comment()
            if staff:
                user_id, name, email = author
            else:
                (first, ascii_first), (last, ascii_last) = rng.choice(firsts), rng.choice(lasts)
                name, user_id = f"{first} {last}", None
                email = f"{ascii_first}.{ascii_last}{rng.randint(1, 99)}@example.org"
            batch.append({
                "id": next_id, "post_id": post_id, "parent_id": parent_id,
                "author_name": name, "author_email": email,
                "author_url": f"https://example.org/{email.split('@')[0]}"
                if rng.random() < 0.1 else "", "user_id": user_id, "text": text,
                "fingerprint": text_fingerprint(text), "text_html": comment_html(text),
                "status": status, "created_at": moment,
            })
            if status == APPROVED and depth < THREAD_DEPTH:
                thread.append((next_id, depth))
            next_id += 1
            if len(batch) == COMMENT_BATCH:
                write_comments(batch, summary, count, say)
                batch = []
    write_comments(batch, summary, count, say)


def write_comments(rows: list[dict], summary: Summary, total: int, say) -> None:
    if not rows:
        return
    db.session.execute(insert(Comment.__table__), rows)
    db.session.commit()
    summary.comments += len(rows)
    say(f"Comments: {summary.comments}/{total}")


def move_sequences_on() -> None:
    """PostgreSQL: ids were given explicitly, so the next ones must start past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name in ("post", "comment"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"))


def refresh_counts(first_post_id: int) -> None:
    """Every generated post's comment_count, in one statement (updated_at untouched)."""
    posts = Post.__table__
    approved = (select(func.count(Comment.id))
                .where(Comment.post_id == posts.c.id, Comment.status == APPROVED)
                .scalar_subquery())
    db.session.execute(update(posts).where(posts.c.id >= first_post_id)
                       .values(comment_count=approved, updated_at=posts.c.updated_at))
