"""The benchmark data generator (`flask --app app demo generate`)."""

import random

from sqlalchemy import func, select, text

from lecko.extensions import db
from lecko.generator import Writer, comment_html, generate
from lecko.html import clean_article, render_comment
from lecko.models import Category, Comment, Post, Series, Tag, User
from lecko.models.comments import APPROVED
from lecko.models.content import PUBLISHED
from lecko.search import search_posts


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_generate_makes_the_requested_blog(app):
    summary = generate(200, 2000, seed=3)
    assert (summary.posts, summary.comments) == (200, 2000)
    assert count(Post) == 200 and count(Comment) == 2000
    assert count(User) == 6 and count(Tag) == 200 and 25 <= count(Category) <= 35
    assert count(Category, Category.parent_id.is_not(None)) > 15
    assert count(Series) >= 1 and count(Post, Post.series_id.is_not(None)) >= 2
    assert count(Post, Post.status == PUBLISHED) > 170
    words = db.session.execute(select(func.min(Post.word_count), func.max(Post.word_count)))
    assert all(300 <= n <= 1600 for n in words.one())


def test_generated_comments_are_threaded_and_counted(app):
    generate(60, 1500, seed=4)
    replies = db.session.execute(text(
        "SELECT c.post_id, p.post_id, p.status FROM comment c "
        "JOIN comment p ON p.id = c.parent_id")).all()
    assert len(replies) > 200
    assert all(post == parent_post and status == APPROVED
               for post, parent_post, status in replies)
    wrong = db.session.execute(text(
        "SELECT count(*) FROM post WHERE comment_count != (SELECT count(*) FROM comment "
        "WHERE comment.post_id = post.id AND comment.status = 'approved')")).scalar()
    assert wrong == 0
    assert count(Comment, Comment.status != APPROVED) > 0
    assert db.session.scalar(select(func.max(Post.comment_count))) > 40  # a few draw many


def test_generated_text_is_clean_french_looking_html():
    writer = Writer(random.Random(5))
    for _ in range(20):
        body, _words = writer.body()
        assert clean_article(body) == body  # stored as is: already what the sanitizer makes
        assert "<h2>" in body or len(body) < 4000
        comment = writer.comment()
        assert comment_html(comment) == render_comment(comment)
        assert 4 <= len(writer.title().split()) <= 20


def test_same_seed_same_titles(app):
    first = [Writer(random.Random(9)).title() for _ in range(3)]
    assert first == [Writer(random.Random(9)).title() for _ in range(3)]


def test_generated_posts_are_searchable(app):
    generate(30, 0, seed=6)
    title = db.session.scalar(select(Post.title).where(Post.status == PUBLISHED,
                                                       Post.published_at.is_not(None)))
    word = max(title.split(), key=len)
    with app.test_request_context():
        assert search_posts(word, 1, 100).total >= 1


def test_command_refuses_a_blog_with_posts_unless_appending(runner):
    result = runner.invoke(args=["demo", "generate", "--posts", "20", "--comments", "50"])
    assert result.exit_code == 0, result.output
    assert "Generated 20 posts, 50 comments" in result.output
    again = runner.invoke(args=["demo", "generate", "--posts", "5", "--comments", "0"])
    assert again.exit_code != 0 and "--append" in again.output
    more = runner.invoke(args=["demo", "generate", "--posts", "5", "--comments", "10",
                               "--append"])
    assert more.exit_code == 0, more.output
    assert count(Post) == 25 and count(Comment) == 60 and count(User) == 6
    assert db.session.scalar(select(func.count(func.distinct(Post.slug)))) == 25


def test_command_wants_posts_for_comments(runner):
    result = runner.invoke(args=["demo", "generate", "--posts", "0", "--comments", "10"])
    assert result.exit_code != 0 and "--posts" in result.output
