"""Numbers and dates out of range in a WordPress export (security review, finding 13):
every id, parent, order and date of the file is read with lecko.parsing's bounds. A bad
one stops the import with a French message naming its line, before anything is written;
WordPress's own "no date" (0000-00-00 00:00:00, written for drafts) is not an error."""

import pytest
from sqlalchemy import func, select
from test_wxr_import import comment, do_import, item, meta, snapshot, wxr

from lecko.extensions import db
from lecko.models import Comment, Post, Series
from lecko.models.content import DRAFT
from lecko.wxr.reader import WxrError

HEADER = ("<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>actu"
          "</wp:category_nicename><wp:cat_name>Actu</wp:cat_name></wp:category>\n"
          "<wp:tag><wp:term_id>4</wp:term_id><wp:tag_slug>rse</wp:tag_slug>"
          "<wp:tag_name>RSE</wp:tag_name></wp:tag>\n"
          "<wp:term><wp:term_id>5</wp:term_id><wp:term_taxonomy>category</wp:term_taxonomy>"
          "<wp:term_slug>autre</wp:term_slug><wp:term_name>Autre</wp:term_name></wp:term>\n")
PAGE_EXTRA = "<wp:post_modified_gmt>2020-01-16 09:00:00</wp:post_modified_gmt>"


def export(**replace) -> bytes:
    """A small valid export (a page with a threaded comment) with one field changed."""
    data = wxr(item(1, "Une page", post_type="page", extra=PAGE_EXTRA + comment(5)
                    + comment(6, parent=5)), HEADER).decode()
    for old, new in replace.items():
        assert old in data, old
        data = data.replace(old, new, 1)
    return data.encode()


TOO_BIG = "9223372036854775808"  # 2**63: overflows every integer column
OUT_OF_RANGE = {
    "post id 2^63": ("<wp:post_id>1<", f"<wp:post_id>{TOO_BIG}<"),
    "post id past a PostgreSQL integer": ("<wp:post_id>1<", "<wp:post_id>2147483648<"),
    "post id in other digits": ("<wp:post_id>1<", "<wp:post_id>١<"),
    "post id superscript": ("<wp:post_id>1<", "<wp:post_id>²<"),
    "post parent": ("<wp:post_parent>0<", f"<wp:post_parent>{TOO_BIG}<"),
    "menu order": ("<wp:menu_order>0<", f"<wp:menu_order>-{TOO_BIG}<"),
    "comment id": ("<wp:comment_id>5<", f"<wp:comment_id>{TOO_BIG}<"),
    "comment parent": ("<wp:comment_parent>5<", f"<wp:comment_parent>{TOO_BIG}<"),
    "comment user id": ("<wp:comment_user_id>0<", f"<wp:comment_user_id>{TOO_BIG}<"),
    "author id": ("<wp:author_id>7<", f"<wp:author_id>{TOO_BIG}<"),
    "category id": ("<wp:term_id>3<", f"<wp:term_id>{TOO_BIG}<"),
    "tag id": ("<wp:term_id>4<", "<wp:term_id>-4<"),
    "term id": ("<wp:term_id>5<", f"<wp:term_id>{TOO_BIG}<"),
    "post date gmt 9999": ("<wp:post_date_gmt>2020-01-15 09:00:00<",
                           "<wp:post_date_gmt>9999-12-31 23:59:59<"),
    "post date year 1": ("<wp:post_date>2020-01-15 10:00:00<",
                         "<wp:post_date>0001-01-01 00:00:00<"),
    "post date not a date": ("<wp:post_date>2020-01-15 10:00:00<",
                             "<wp:post_date>2020-13-45 10:00:00<"),
    "modified date": ("<wp:post_modified_gmt>2020-01-16 09:00:00<",
                      "<wp:post_modified_gmt>9999-12-31 23:59:59<"),
    "comment date gmt": ("<wp:comment_date_gmt>2020-01-16 09:00:00<",
                         "<wp:comment_date_gmt>9999-12-31 23:59:59<"),
    "comment date": ("<wp:comment_date>2020-01-16 10:00:00<",
                     "<wp:comment_date>1000-01-01 00:00:00<"),
}


def line_of(data: bytes, text: str) -> int:
    return data.decode()[: data.decode().index(text)].count("\n") + 1


@pytest.mark.parametrize("case", OUT_OF_RANGE)
def test_a_number_or_date_out_of_range_is_refused_with_its_line(app, case):
    old, new = OUT_OF_RANGE[case]
    data = export(**{old: new})
    before = snapshot()
    with pytest.raises(WxrError) as caught:
        do_import(data, dry_run=True)
    with pytest.raises(WxrError):
        do_import(data)
    message = str(caught.value)
    line = line_of(data, new)
    assert caught.value.line == line and message.startswith(f"Ligne {line}"), message
    assert new.strip("<").split(">", 1)[1] in message  # the value, as written
    assert snapshot() == before


def test_the_valid_file_imports(app):
    report = do_import(export())
    assert report.created("pages") == 1 and report.created("comments") == 2


def test_wordpress_zero_dates_mean_no_date(app):
    data = export(**{
        "<wp:post_date_gmt>2020-01-15 09:00:00<": "<wp:post_date_gmt>0000-00-00 00:00:00<",
        "<wp:status>publish<": "<wp:status>draft<",
        "<wp:comment_date_gmt>2020-01-16 09:00:00<": "<wp:comment_date_gmt>0000-00-00 00:00:00<",
    })
    do_import(data)
    page = db.session.scalar(select(Post))
    assert page.status == DRAFT and page.published_at is None
    assert db.session.scalar(select(func.count(Comment.id))) == 2


def test_negative_menu_orders_are_kept(app):
    do_import(export(**{"<wp:menu_order>0<": "<wp:menu_order>-3<"}))
    assert db.session.scalar(select(Post)).menu_order == -3


def test_odd_numbers_in_metadata_are_ignored(app):
    """Plugins write anything in post meta: a number we cannot use is no number."""
    extra = (meta("_thumbnail_id", "²") + meta("_lecko_series", "serie")
             + meta("_lecko_series_position", TOO_BIG) + meta("_lecko_id", f"x:{TOO_BIG}"))
    content = '[gallery ids="1,²,99999999999999999999999" id="²"]'
    report = do_import(wxr(item(1, extra=extra, content=content)))
    post = db.session.scalar(select(Post))
    assert post.featured_media is None and post.series_position is None
    assert db.session.scalar(select(func.count(Series.id))) == 1
    assert report.created("posts") == 1


def test_cli_dry_run_names_the_line_without_a_traceback(app, runner, tmp_path):
    source = tmp_path / "export.xml"
    data = export(**{"<wp:post_id>1<": f"<wp:post_id>{TOO_BIG}<"})
    source.write_bytes(data)
    for options in (["--dry-run"], []):
        result = runner.invoke(args=["wxr", "import", str(source), *options])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        output = result.output.lower()
        assert f"line {line_of(data, TOO_BIG)}:" in output and TOO_BIG in output
    assert db.session.scalar(select(func.count(Post.id))) == 0
