"""user names and emails unique whatever the case: "ARTHUR" is "arthur"

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:00:00

Signing in finds an account by its login name or its email, case aside (auth.find_user,
as WordPress does): two accounts answering to the same one would let the older one
answer for the newer. Expression indexes, outside batch mode (see 0008); the email one
leaves out accounts without an email.

Accounts that already share a name or an email are not renamed behind anyone's back: the
upgrade stops, names them, and changes nothing. The blog runs meanwhile (nothing in the
code needs these indexes): give one account of each pair another login name or email
(Users screen), then run the upgrade again.
"""
import click
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DUPLICATES = {
    "login name": "SELECT lower(username) AS shared, username FROM \"user\" "
                  "WHERE lower(username) IN (SELECT lower(username) FROM \"user\" "
                  "GROUP BY lower(username) HAVING count(*) > 1) ORDER BY 1, id",
    "email": "SELECT lower(email) AS shared, username FROM \"user\" WHERE email != '' "
             "AND lower(email) IN (SELECT lower(email) FROM \"user\" WHERE email != '' "
             "GROUP BY lower(email) HAVING count(*) > 1) ORDER BY 1, id",
}


def shared_identities(bind) -> list[str]:
    """'arthur, ARTHUR (login name "arthur")' for each name or email several accounts use."""
    found = []
    for what, query in DUPLICATES.items():
        groups: dict[str, list[str]] = {}
        for shared, username in bind.execute(sa.text(query)):
            groups.setdefault(shared, []).append(username)
        found += [f"{', '.join(names)} ({what} \"{shared}\")" for shared, names in groups.items()]
    return found


def upgrade():
    shared = shared_identities(op.get_bind())
    if shared:
        raise click.ClickException(
            "the upgrade stopped: these accounts share a login name or an email, which "
            "must now each belong to "
            f"one account whatever the case: {'; '.join(shared)}. Give one account of each "
            "group another login name or email (Users screen of the running blog), then run "
            "`flask --app app db upgrade` again. Nothing was changed.")
    op.create_index("ux_user_username_lower", "user", [sa.text("lower(username)")],
                    unique=True)
    op.create_index("ux_user_email_lower", "user", [sa.text("lower(email)")], unique=True,
                    sqlite_where=sa.text("email != ''"), postgresql_where=sa.text("email != ''"))


def downgrade():
    op.drop_index("ux_user_email_lower", table_name="user")
    op.drop_index("ux_user_username_lower", table_name="user")
